#!/bin/bash
# A/B alternation of two benchmark jars, class by class, several rounds (the machine is shared:
# compare minima/medians across rounds, not one run's mean). Usage: ab.sh OUTDIR ROUNDS A.jar B.jar [names]
# Each JMH run: -f 1 -wi 3 -i 5 -w 1s -r 1s, verifier off, JSON per run.
set -u
OUT=$1; ROUNDS=$2; A=$3; B=$4
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
O="--enable-native-access=ALL-UNNAMED --add-opens java.base/jdk.internal.misc=ALL-UNNAMED -Doffkern.verifier=false"
mkdir -p $OUT
GROUPS_=${GROUPS_:-"cas lookaside slist mutex spin irql"}
sel() {
  case $1 in
    cas) echo 'Cas128Benchmark\.(cas128Raw|atomicLongCas64)$' ;;
    lookaside) echo 'LookasideAllocFreeBenchmark\.(lookasideSegment|mallocFree)$' ;;
    slist) echo 'SListPushPopBenchmark\.(offkernRaw|nativeLoop)$' ;;
    mutex) echo 'MutexAcquireReleaseBenchmark\.(fastMutex1|guardedMutex1|reentrantLock1)$' ;;
    spin) echo 'SpinLockAcquireReleaseBenchmark\.(spinLock1|queuedSpinLock1|reentrantLock1|irqlRaiseLower1|rawCas1)$' ;;
    irql) echo 'IrqlBenchmark\.(raiseLowerVerifierOff|peerThreadLocalRaiseLower)$' ;;
  esac
}
for r in $(seq 1 $ROUNDS); do
  for g in $GROUPS_; do
    for v in A B; do
      jar=$A; [ $v = B ] && jar=$B
      nice -n 15 $J $O -jar $jar "$(sel $g)" -p size=64 -jvmArgsAppend "$O" -f 1 -wi 3 -i 5 -w 1s -r 1s \
        ${EXTRA:-} -rf json -rff $OUT/$v-$g-r$r.json > $OUT/$v-$g-r$r.log 2>&1
    done
  done
done
echo "finished $(date -u)" > $OUT/finished
