#!/bin/bash
# JMH A/B, one fork, -prof gc: main (3099865) then step 1 (d951cae), the same selection.
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
O="--enable-native-access=ALL-UNNAMED --add-opens java.base/jdk.internal.misc=ALL-UNNAMED -Doffkern.verifier=false"
R='(IrqlBenchmark\.(raiseLowerVerifierOff|peerThreadLocalRaiseLower)|SpinLockAcquireReleaseBenchmark\.(spinLock1|reentrantLock1)|MutexAcquireReleaseBenchmark\.(fastMutex1|guardedMutex1|reentrantLock1)|SListPushPopBenchmark\.(offkernDdiLocal|nativeLoop)|LookasideAllocFreeBenchmark\.(lookasideDdiLocal|mallocFree))$'
for b in main:/tmp/cprobe/main.jar s1:/tmp/cprobe/s1.jar; do
  n=${b%%:*}; jar=${b#*:}
  nice -n 15 $J $O -jar $jar "$R" -jvmArgsAppend "$O" -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc > raw/jmh/$n.txt 2>&1
done
