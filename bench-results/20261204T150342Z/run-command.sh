#!/bin/bash
# Session 27: 5-fork run of the pool classes after the fast path's new layout (main 0bdf5ee, runtime as 9fcfc0a,
# the lead's worktree, idle machine, 2026-12-04 15:03-15:15 UTC). 5 forks rather than 3: the DDI rows run in two
# modes from fork to fork on this machine (bench-results/s27-pool/README.md).
FORKS=5 WI=2 ITERS=3 bash benchmarks/run.sh '(PoolAllocFreeBenchmark|PoolScalingBenchmark)' -p tags=1
