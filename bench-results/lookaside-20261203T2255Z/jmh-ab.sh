#!/bin/bash
# JMH A/B: alternates jars, ROUNDS rounds, one file per run. Usage: jmh-ab.sh OUTDIR ROUNDS REGEX "JMHARGS" name:jar ...
set -u
OUT=$1; ROUNDS=$2; RX=$3; ARGS=$4; shift 4
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
mkdir -p $OUT
for r in $(seq ${START:-1} $ROUNDS); do
  for spec in "$@"; do
    name=${spec%%:*}; jar=${spec#*:}
    nice -n 15 $J -jar $jar "$RX" $ARGS -rf json -rff $OUT/$name-r$r.json > $OUT/$name-r$r.txt 2>&1
  done
done
