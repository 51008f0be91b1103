#!/bin/bash
# Session 25: 3-fork run of the SLIST and lookaside classes after Kernel.current() stopped reading the
# attachment ThreadLocal (main 1f8e924, fresh clone, idle machine, 2026-12-04 09:06-09:20 UTC).
FORKS=3 WI=2 ITERS=3 bash benchmarks/run.sh '(SListPushPopBenchmark|LookasideAllocFreeBenchmark)'
