#!/bin/bash
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
O="--enable-native-access=ALL-UNNAMED --add-opens java.base/jdk.internal.misc=ALL-UNNAMED -Doffkern.verifier=false"
one() { # regex out extra...
  local re="$1" out="$2"; shift 2
  for try in $(seq 1 90); do
    $J $O -jar /tmp/pp-new3.jar "$re" -jvmArgsAppend "$O" -f 1 -wi 2 -i 3 -w 1s -r 1s -rf json -rff "$out.json" "$@" > "$out.txt" 2>&1
    grep -q "Unable to acquire the JMH lock" "$out.txt" || return 0
    sleep 5
  done
}
one 'pool\.PoolScalingBenchmark' /tmp/pp-final/scaling2
one 'ex\.SListDepthBenchmark' /tmp/pp-final/depth -prof gc
one 'rtl\.RtlBitmapSizeBenchmark' /tmp/pp-final/bitmapsize
one 'pool\.PoolAllocFreeBenchmark|ex\.LookasideAllocFreeBenchmark\.(lookasideDdiLocal|lookasideSegment|mallocFree)|ex\.SListPushPopBenchmark\.(offkernRaw|offkernDdi|offkernDdiLocal|nativeLoop)$' /tmp/pp-final/final -p size=64 -prof gc
echo DONE > /tmp/pp-final/DONE2
