#!/bin/bash
# ab-custom.sh OUTDIR ROUNDS "name|classpath|extra JVM flags" ...  (alternating, ShimRowsProbe)
set -u
OUT=$1; ROUNDS=$2; shift 2
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
O="--enable-native-access=ALL-UNNAMED --add-opens java.base/jdk.internal.misc=ALL-UNNAMED -Doffkern.verifier=false -Doffkern.lookaside.autoScan=false -Dprobe.rounds=${PROBE_ROUNDS:-2000}"
mkdir -p $OUT
for r in $(seq 1 $ROUNDS); do
  for spec in "$@"; do
    IFS='|' read name cp extra <<< "$spec"
    nice -n 15 $J $O $extra -Doffkern.shim.cacheDir=/tmp/offkern-shim-$name -cp $cp dev.offkern.bench.probe.ShimRowsProbe > $OUT/$name-r$r.txt 2>&1
  done
done
