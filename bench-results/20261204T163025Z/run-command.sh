#!/bin/bash
# The README's main table: every class of the table, 3 forks x (2 x 1 s warm-up + 3 x 1 s measured), -prof gc,
# on main e36670e in a fresh clone, the machine otherwise idle (2026-12-04 16:30-17:07 UTC).
# Machine: 2 vCPU AMD EPYC, family 23 model 1 (Zen 1), 1996 MHz, KVM; Temurin 25.0.3.
FORKS=3 WI=2 ITERS=3 benchmarks/run.sh '(SListPushPopBenchmark|Cas128Benchmark|PoolAllocFreeBenchmark|LookasideAllocFreeBenchmark|RtlBitmapBenchmark|RundownAcquireReleaseBenchmark|RunOnceBenchmark|IrqlBenchmark|SpinLockAcquireReleaseBenchmark|MutexAcquireReleaseBenchmark|EventPingPongBenchmark|PoolScalingBenchmark)' -p tags=1
