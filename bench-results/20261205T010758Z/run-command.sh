# main 6aeb930, /work/main (clean), idle machine
FORKS=3 WI=2 ITERS=3 benchmarks/run.sh '(SListPushPopBenchmark|Cas128Benchmark|PoolAllocFreeBenchmark|LookasideAllocFreeBenchmark|RtlBitmapBenchmark|RundownAcquireReleaseBenchmark|RunOnceBenchmark|IrqlBenchmark|SpinLockAcquireReleaseBenchmark|MutexAcquireReleaseBenchmark|EventPingPongBenchmark|PoolScalingBenchmark)' -p tags=1
