#!/bin/bash
# Session 24's rows (the lookaside DDI's list segment, the queued spin lock): 3 forks x (2 x 1 s warm-up + 3 x 1 s
# measured), -prof gc, on main 2af42a2 in a fresh clone, the machine otherwise idle (2026-12-04 05:09-05:19 UTC).
FORKS=3 WI=2 ITERS=3 benchmarks/run.sh '(LookasideAllocFreeBenchmark|SpinLockAcquireReleaseBenchmark)'
