#!/bin/bash
# Alternates the shim-row probe (ShimRowsProbe, sources in ../perf-locks-20261203T1230Z/sources) and, for
# builds that have it, MemoryPathProbe (MEM_FILTER: comma-separated name filters) between builds, ROUNDS runs each, A B C A B C ..., one file per run.
# Usage: probe-ab.sh OUTDIR ROUNDS name:jar:classdir[:shimlib] ...
#   classdir: ShimRowsProbe compiled against that jar; shimlib (optional): -Doffkern.shim.path for an ablation.
set -u
OUT=$1; ROUNDS=$2; shift 2
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
O="--enable-native-access=ALL-UNNAMED --add-opens java.base/jdk.internal.misc=ALL-UNNAMED -Doffkern.verifier=false -Doffkern.lookaside.autoScan=false -Dprobe.rounds=${PROBE_ROUNDS:-2000}"
mkdir -p $OUT
for r in $(seq 1 $ROUNDS); do
  for spec in "$@"; do
    IFS=: read name jar dir lib <<< "$spec"
    L=""; [ -n "${lib:-}" ] && L="-Doffkern.shim.path=$lib"
    C="-Doffkern.shim.cacheDir=/tmp/offkern-shim-$name"
    nice -n 15 $J $O $L $C -cp $dir:$jar dev.offkern.bench.probe.ShimRowsProbe > $OUT/$name-r$r.txt 2>&1
    if [ -n "${MEM_FILTER:-}" ] && unzip -l $jar | grep -q MemoryPathProbe.class; then
      for f in ${MEM_FILTER//,/ }; do
        nice -n 15 $J $O $L $C -cp $jar dev.offkern.bench.probe.MemoryPathProbe "$f" >> $OUT/$name-r$r.txt 2>&1
      done
    fi
  done
done
