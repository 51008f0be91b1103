#!/bin/bash
# A/B probe minima with filters, alternating. Usage: ab.sh OUT ROUNDS PROBE "filter1|filter2" name:jar...
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
O="--enable-native-access=ALL-UNNAMED --add-opens java.base/jdk.internal.misc=ALL-UNNAMED -Doffkern.verifier=false"
out=$1; rounds=$2; probe=$3; filters=$4; shift 4
for i in $(seq $rounds); do
  for v in "$@"; do
    n=${v%%:*}; jar=${v#*:}
    IFS='|' read -ra fs <<< "$filters"
    for f in "${fs[@]}"; do
      $J $O -cp $jar dev.offkern.bench.probe.$probe "$f" 2>&1 | grep ns/ | sed "s/^/$n /" >> $out
    done
  done
done
