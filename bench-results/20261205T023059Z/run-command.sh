# main 066a68a, /work/main (clean), idle machine
FORKS=3 WI=2 ITERS=3 benchmarks/run.sh '(TimerSetCancelBenchmark|DpcLatencyBenchmark|WorkItemLatencyBenchmark|InterruptDpcLatencyBenchmark|ObHandleLookupBenchmark|PsCurrentThreadBenchmark|SddlBenchmark|AccessCheckBenchmark|ObOpenAccessCheckBenchmark)'
