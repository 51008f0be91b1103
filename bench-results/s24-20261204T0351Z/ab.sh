#!/bin/bash
# A/B probe minima: base jar vs new jar, alternating, 3 runs each. Usage: ab.sh OUTDIR
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
O="--enable-native-access=ALL-UNNAMED --add-opens java.base/jdk.internal.misc=ALL-UNNAMED -Doffkern.verifier=false"
out=$1; mkdir -p $out
for i in 1 2 3; do
  for v in base:/tmp/base-bc57.jar new:/tmp/new-q.jar v3:/tmp/new-q3.jar; do
    n=${v%%:*}; jar=${v#*:}
    echo "== $n run $i $(date -u +%T) load $(cut -d' ' -f1 /proc/loadavg)" >> $out/probe.txt
    $J $O -cp $jar dev.offkern.bench.probe.DdiLookupProbe 2>&1 | grep ns/ | sed "s/^/$n /" >> $out/probe.txt
    $J $O -cp $jar dev.offkern.bench.probe.LockPathProbe 2>&1 | grep ns/ | sed "s/^/$n /" >> $out/probe.txt
  done
done
echo done >> $out/probe.txt
