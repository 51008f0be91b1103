#!/bin/bash
# Same-session before/after: main at 4f1fa98 (base) vs perf-pool (new), 1 fork, 2x1 s warm-up, 3x1 s measurement, -prof gc, verifier off.
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
O="--enable-native-access=ALL-UNNAMED --add-opens java.base/jdk.internal.misc=ALL-UNNAMED -Doffkern.verifier=false"
RE='pool\.PoolAllocFreeBenchmark|ex\.LookasideAllocFreeBenchmark|ex\.SListPushPopBenchmark\.(offkernRaw|offkernDdi|offkernDdiLocal|nativeLoop|treiberStack)$|rtl\.RtlBitmapBenchmark\.numberOfSetBits|shim\.Cas128Benchmark'
run() { # jar out [extra]
  for try in $(seq 1 60); do
    $J $O -jar "$1" "$RE" -jvmArgsAppend "$O" -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc -rf json -rff "$2/jmh.json" > "$2/jmh.txt" 2>&1
    grep -q "Unable to acquire the JMH lock" "$2/jmh.txt" || return 0
    sleep 10
  done
}
run /tmp/pp-base.jar /tmp/pp-final/base
run /tmp/pp-new.jar /tmp/pp-final/new
for try in $(seq 1 60); do
  $J $O -jar /tmp/pp-new.jar 'pool\.PoolScalingBenchmark' -jvmArgsAppend "$O" -f 1 -wi 2 -i 3 -w 1s -r 1s -rf json -rff /tmp/pp-final/scaling.json > /tmp/pp-final/scaling.txt 2>&1
  grep -q "Unable to acquire the JMH lock" /tmp/pp-final/scaling.txt || break
  sleep 10
done
echo DONE > /tmp/pp-final/DONE
