#!/bin/bash
# The README's main table: every class of the table, 3 forks x (2 x 1 s warm-up + 3 x 1 s measured), -prof gc,
# on main 02cbb35 in a fresh clone, the machine otherwise idle (2026-12-03 21:42-22:21 UTC).
FORKS=3 WI=2 ITERS=3 benchmarks/run.sh '(SListPushPopBenchmark|Cas128Benchmark|PoolAllocFreeBenchmark|LookasideAllocFreeBenchmark|RtlBitmapBenchmark|RundownAcquireReleaseBenchmark|RunOnceBenchmark|IrqlBenchmark|SpinLockAcquireReleaseBenchmark|MutexAcquireReleaseBenchmark|EventPingPongBenchmark|PoolScalingBenchmark)' -p tags=1
