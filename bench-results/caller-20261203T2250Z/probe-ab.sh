#!/bin/bash
# Alternates a probe class between builds (class dirs compiled against each jar): ROUNDS runs each,
# A B C A B C ..., one output file per run. Usage: probe-ab.sh OUTDIR ROUNDS CLASS name:jar:classdir ...
# (perf-locks-20261203T1230Z/probe-ab.sh with the probe class as a parameter.)
set -u
OUT=$1; ROUNDS=$2; CLASS=$3; shift 3
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
O="--enable-native-access=ALL-UNNAMED --add-opens java.base/jdk.internal.misc=ALL-UNNAMED -Doffkern.verifier=false"
mkdir -p $OUT
for r in $(seq 1 $ROUNDS); do
  for spec in "$@"; do
    IFS=: read name jar dir <<< "$spec"
    nice -n 15 $J $O -Dprobe.rounds=${PROBE_ROUNDS:-2000} -cp $dir:$jar dev.offkern.bench.probe.$CLASS ${FILTER:-} > $OUT/$name-r$r.txt 2>&1
  done
done
