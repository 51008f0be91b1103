#!/bin/bash
# 3-fork JMH of issue 10's table rows on the final main (idle machine), in a fresh clone
d=/tmp/jmh3 && rm -rf $d && git clone -q /work/main $d && cd $d
R='(SListPushPopBenchmark\.(offkernDdi|offkernDdiLocal|offkernRaw|nativeLoop)$|PoolAllocFreeBenchmark\.(ddiAllocFree|ddiAllocFreeUninitialized|mallocFree|callocFree)$|LookasideAllocFreeBenchmark\.(lookasideDdi|lookasideDdiLocal|lookasideSegment|mallocFree)$|SpinLockAcquireReleaseBenchmark\.(spinLock1|queuedSpinLock1|reentrantLock1)$|MutexAcquireReleaseBenchmark\.(fastMutex1|guardedMutex1|reentrantLock1)$|IrqlBenchmark\.(raiseLowerVerifierOff|peerThreadLocalRaiseLower)$|RtlBitmapBenchmark\.numberOfSetBits|Cas128Benchmark\.(cas128Raw|atomicLongCas64)$)'
FORKS=3 WI=1 ITERS=3 bash benchmarks/run.sh "$R" > jmh-console.log 2>&1
echo "rc=$?" >> jmh-console.log
