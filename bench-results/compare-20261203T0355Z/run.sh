#!/bin/bash
# Same-run comparison, verifier off (the always-on checks only): baseline 655beca vs final main,
# interleaved per class; then each verifier family's cost on the final build.
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
F="--enable-native-access=ALL-UNNAMED --add-opens java.base/jdk.internal.misc=ALL-UNNAMED"
O="$F -Doffkern.verifier=false"
cd /work/coord/final2
mkdir -p base new families
for cls in SListPushPopBenchmark SListShimPushPopBenchmark LookasideAllocFreeBenchmark PoolAllocFreeBenchmark Cas128Benchmark IrqlBenchmark SpinLockAcquireReleaseBenchmark MutexAcquireReleaseBenchmark RundownAcquireReleaseBenchmark RunOnceBenchmark RtlBitmapBenchmark EventPingPongBenchmark; do
  for v in base new; do
    $J $O -jar $v.jar "\.$cls\." -jvmArgsAppend "$O" -f 1 -wi 1 -w 1s -i 4 -r 1s -rf json -rff $v/$cls.json > $v/$cls.log 2>&1
  done
done
# verifier families: all on, none, and all but one, on one representative benchmark each
B='(PoolAllocFreeBenchmark.poolAllocFree$|LookasideAllocFreeBenchmark.lookasideRaw|SpinLockAcquireReleaseBenchmark.spinLock1|MutexAcquireReleaseBenchmark.fastMutex1|IrqlBenchmark.raiseLower|RtlBitmapBenchmark.findClearBitsRtl|SListPushPopBenchmark.offkernDdi$)'
for fam in ALL none -IRQL -POOL -SPECIAL_POOL -LOCKS -REGIONS; do
  if [[ $fam == ALL ]]; then V="$F"; else V="$F -Doffkern.verifier.checks=$fam"; fi
  $J $V -jar new.jar "$B" -jvmArgsAppend "$V" -p size=64 -p layout=FRAGMENTED -f 1 -wi 1 -w 1s -i 3 -r 1s -rf json -rff families/$fam.json > families/$fam.log 2>&1
done
echo done > finished
