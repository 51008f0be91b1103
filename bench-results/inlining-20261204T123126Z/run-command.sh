#!/bin/bash
# Session 26: C2's inlining refusals on the issue-10 benchmarks (main 273fd59 + benchmarks/inlining.sh, idle machine).
bash benchmarks/inlining.sh '(SListPushPopBenchmark|LookasideAllocFreeBenchmark|PoolAllocFreeBenchmark|SpinLockAcquireReleaseBenchmark|MutexAcquireReleaseBenchmark|IrqlBenchmark|Cas128Benchmark)' -p size=64
