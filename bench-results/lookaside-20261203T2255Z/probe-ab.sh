#!/bin/bash
# A/B of MemoryPathProbe rows: alternates builds, ROUNDS runs each (A B A B ...), one file per run.
# Usage: ab.sh OUTDIR ROUNDS FILTERS name:classpath ...   (FILTERS: comma-separated name filters)
set -u
OUT=$1; ROUNDS=$2; FILTERS=$3; shift 3
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
O="--enable-native-access=ALL-UNNAMED --add-opens java.base/jdk.internal.misc=ALL-UNNAMED -Doffkern.verifier=false -Doffkern.lookaside.autoScan=false -Dprobe.rounds=${PROBE_ROUNDS:-1000}"
mkdir -p $OUT
for r in $(seq 1 $ROUNDS); do
  for spec in "$@"; do
    name=${spec%%:*}; cp=${spec#*:}
    for f in ${FILTERS//,/ }; do
      nice -n 15 $J $O -cp $cp dev.offkern.bench.probe.MemoryPathProbe "${f//_/ }" 2>&1 | grep ns/ >> $OUT/$name-r$r.txt
    done
  done
done
