#!/bin/bash
# usage: pool-ab2.sh OUTDIR N BASEJAR NEWJAR [filter]: alternates full MemoryPathProbe runs, base then new, N times
OUT=$1; N=$2; BASE=$3; NEW=$4; F=${5:-}
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
O="--enable-native-access=ALL-UNNAMED --add-opens java.base/jdk.internal.misc=ALL-UNNAMED -Doffkern.verifier=${VERIFIER:-false}"
mkdir -p $OUT
for i in $(seq 1 $N); do
  for side in base new; do
    if [ $side = base ]; then JAR=$BASE; else JAR=$NEW; fi
    echo "== $side run $i $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $OUT/raw.txt
    nice -n 15 $J $O -cp $JAR dev.offkern.bench.probe.MemoryPathProbe "$F" 2>/dev/null | grep ns/pair >> $OUT/raw.txt
  done
done
