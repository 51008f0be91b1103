# main 066a68a, /work/main (clean), idle machine, right after ../20261205T023059Z
FORKS=3 WI=2 ITERS=3 benchmarks/run.sh '(ObHandleLookupBenchmark|PsCurrentThreadBenchmark)' -t 2
