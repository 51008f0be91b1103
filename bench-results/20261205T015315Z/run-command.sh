# main 6aeb930, /work/main (clean), idle machine
FORKS=3 WI=2 ITERS=3 benchmarks/run.sh '(LookasideAllocFreeBenchmark|Cas128Benchmark|PoolScalingBenchmark)' -p tags=1
