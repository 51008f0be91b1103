#!/bin/bash
# The pool helper's measurements, in order: probe A/B (verifier off, 3 alternations), probe A/B with the
# verifier on (pool DDI rows, 2 alternations), JMH -prof gc of the DDI pool and lookaside rows, PoolScalingBenchmark.
R=/tmp/poolrun/res
BASE=/tmp/poolrun/base.jar; NEW=/tmp/poolrun/new4.jar
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
/tmp/pool-ab2.sh $R/probe-ab 3 $BASE $NEW
VERIFIER=true /tmp/pool-ab2.sh $R/probe-ab-verifier 2 $BASE $NEW "Pool2"
JO="--enable-native-access=ALL-UNNAMED --add-opens java.base/jdk.internal.misc=ALL-UNNAMED -Doffkern.verifier=false"
for side in base new; do
  JAR=$BASE; [ $side = new ] && JAR=$NEW
  nice -n 15 $J -jar $JAR 'PoolAllocFreeBenchmark.(ddiAllocFree|mallocFree|callocFree)|LookasideAllocFreeBenchmark.*Local' \
     -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc -jvmArgsAppend "$JO" -rf json -rff $R/jmh-gc-$side.json > $R/jmh-gc-$side.txt 2>&1
done
nice -n 15 $J -jar $NEW 'PoolScalingBenchmark' -p tags=1 -f 1 -wi 2 -i 3 -w 1s -r 1s -jvmArgsAppend "$JO" -rf json -rff $R/scaling-new.json > $R/scaling-new.txt 2>&1
echo done > $R/DONE
