#!/bin/bash
# Session 26: 3-fork run of the lock classes after their benchmark methods started making the DDI calls
# themselves instead of through a shared helper (main 273fd59, the lead's worktree, idle machine, 2026-12-04
# 12:24-12:29 UTC).
FORKS=3 WI=2 ITERS=3 bash benchmarks/run.sh '(SpinLockAcquireReleaseBenchmark|MutexAcquireReleaseBenchmark)'
