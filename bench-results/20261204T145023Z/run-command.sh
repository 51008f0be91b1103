#!/bin/bash
# Session 27: 3-fork run of the pool classes on main 0bdf5ee (2026-12-04 14:50-14:59 UTC), kept for its per-fork
# data: ddiAllocFree size=64 ran in its slow mode (57 ns) in all three forks. Superseded in the README by the 5-fork
# run 20261204T150342Z.
FORKS=3 WI=2 ITERS=3 bash benchmarks/run.sh '(PoolAllocFreeBenchmark|PoolScalingBenchmark)' -p tags=1
