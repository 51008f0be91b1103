#!/bin/bash
# Re-run of the README rows whose paths changed after the 21:42 table run (ke.CallerTable, the address-space region
# table): 3 forks x (2 x 1 s warm-up + 3 x 1 s measured), -prof gc, on main b681b3d in a fresh clone, the machine
# otherwise idle (2026-12-03 23:40-23:56 UTC).
FORKS=3 WI=2 ITERS=3 benchmarks/run.sh '(SListPushPopBenchmark|LookasideAllocFreeBenchmark|IrqlBenchmark|SpinLockAcquireReleaseBenchmark|MutexAcquireReleaseBenchmark)'
