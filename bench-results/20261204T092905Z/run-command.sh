#!/bin/bash
# Session 25: the 1-thread SLIST rows with the new per-call native peer (nativePerCall), 3 forks, main 7087e75,
# fresh clone, machine otherwise idle except a 30-second Maven build in the middle (2026-12-04 09:29-09:34 UTC).
FORKS=3 WI=2 ITERS=3 bash benchmarks/run.sh 'SListPushPopBenchmark\.(nativeLoop|nativePerCall|offkernRaw|offkernDdiLocal|offkernDdi|treiberStack|concurrentLinkedDeque|agronaManyToManyQueue|x86Research)$'
