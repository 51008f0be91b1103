#!/usr/bin/env bash
# Where each nanosecond goes: runs JMH benchmarks under async-profiler and groups the samples.
#   benchmarks/profile.sh [JMH include regex] [extra JMH options...]
# CPU samples come from async-profiler's interval timer (event=ctimer), which needs no hardware counters
# (these VMs have none: perf stat -e cycles is "not supported", so JMH's perfasm cannot run); inlined
# Java frames, the shim's C frames and the JVM's own are all in the stacks. async-profiler itself comes
# from Maven Central (tools.profiler:async-profiler, its jar carries the linux-x64 library). Writes
# bench-results/profile-<stamp>/: jmh.json, jmh.txt, per benchmark collapsed stacks and flame graphs, and
# profile.md (ProfileSummary: samples by category, scaled by the score of the same run).
# Defaults: -f 1 -wi 3 -i 3 -w 1s -r 2s, sampling every 100 us (FORKS, WI, ITERS, INTERVAL_NS override).
# DISASM=1 also writes C2's machine code of the benchmark stubs (with everything inlined into them) to
# jmh.txt: it needs Debian's libhsdis0-fcml (apt-get install libhsdis0-fcml), behind a small adapter for
# JDK 25's entry point that this script builds (benchmarks/src/main/c/hsdis-fcml-adapter.c).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
REGEX="${1:-.*}"; shift || true
AP_VERSION=4.2
AP_DIR="$ROOT/benchmarks/target/async-profiler-$AP_VERSION"
if [[ ! -f "$AP_DIR/linux-x64/libasyncProfiler.so" ]]; then
  mvn -q -B dependency:copy -Dartifact="tools.profiler:async-profiler:$AP_VERSION" -DoutputDirectory="$AP_DIR"
  (cd "$AP_DIR" && "$JDK/bin/jar" xf "async-profiler-$AP_VERSION.jar" linux-x64/libasyncProfiler.so)
fi
mvn -q -B -DskipTests -pl benchmarks -am package
OUT="$ROOT/bench-results/profile-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
EXTRA_JVM=""
if [[ "${DISASM:-0}" == 1 ]]; then
  [[ -e /usr/lib/x86_64-linux-gnu/libhsdis.so.0 ]] || { echo "DISASM=1 needs libhsdis0-fcml (apt-get install libhsdis0-fcml)" >&2; exit 2; }
  mkdir -p "$ROOT/benchmarks/target/hsdis"
  gcc -shared -fPIC -O2 -o "$ROOT/benchmarks/target/hsdis/hsdis-amd64.so" benchmarks/src/main/c/hsdis-fcml-adapter.c -ldl
  export LD_LIBRARY_PATH="$ROOT/benchmarks/target/hsdis${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  EXTRA_JVM="-XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=print,*_jmhTest::*_jmhStub"
fi
# shellcheck disable=SC2086
"$JDK/bin/java" $JVM_FLAGS -jar benchmarks/target/benchmarks.jar "$REGEX" -jvmArgsPrepend "$JVM_FLAGS $EXTRA_JVM" \
  -f "${FORKS:-1}" -wi "${WI:-3}" -i "${ITERS:-3}" -w 1s -r 2s -rf json -rff "$OUT/jmh.json" \
  -prof "async:libPath=$AP_DIR/linux-x64/libasyncProfiler.so;event=ctimer;interval=${INTERVAL_NS:-100000};output=collapsed,flamegraph;dir=$OUT" \
  "$@" > "$OUT/jmh.txt"
"$JDK/bin/java" -cp benchmarks/target/benchmarks.jar dev.offkern.bench.report.ProfileSummary "$OUT" > /dev/null
echo "profile: $OUT/profile.md"
