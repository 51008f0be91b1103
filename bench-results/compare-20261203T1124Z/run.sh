#!/bin/bash
# Same-run comparison, verifier off (the always-on checks only): 655beca (before the architecture and
# hardening checks) vs the final main's benchmarks jar, interleaved class by class; then the verifier
# families on the final jar. Usage: bench.sh NEWJAR
set -u
NEW=$1
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
F="--enable-native-access=ALL-UNNAMED --add-opens java.base/jdk.internal.misc=ALL-UNNAMED"
O="$F -Doffkern.verifier=false"
D=/work/coord/s19/bench-$(date +%H%M); mkdir -p $D/base $D/new $D/families
cp /work/coord/final2/base.jar $D/base.jar; cp $NEW $D/new.jar
cd $D
for cls in ${CLASSES:-SListPushPopBenchmark SListShimPushPopBenchmark LookasideAllocFreeBenchmark PoolAllocFreeBenchmark Cas128Benchmark IrqlBenchmark SpinLockAcquireReleaseBenchmark MutexAcquireReleaseBenchmark RundownAcquireReleaseBenchmark RunOnceBenchmark RtlBitmapBenchmark EventPingPongBenchmark}; do
  for v in base new; do
    $J $O -jar $v.jar "\.$cls\." -jvmArgsAppend "$O" -f 1 -wi 1 -w 1s -i ${ITER:-3} -r 1s -rf json -rff $v/$cls.json > $v/$cls.log 2>&1
  done
done
echo "compared at $(date)" > finished
