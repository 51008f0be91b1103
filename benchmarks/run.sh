#!/usr/bin/env bash
# Runs offkern's JMH benchmarks (each against its peers, in one run) and turns the result into
# bench-results/<stamp>/{jmh.json,results.md,results.json,*.png}.
#   benchmarks/run.sh [JMH include regex] [extra JMH options...]
# The benchmark packages are named by manager, as runtime-core's are (dev.offkern.bench.{ex,ke,pool,
# rtl,shim}; peers and the report beside them), so 'ke\.' runs the IRQL, lock and event benchmarks,
# 'pool\.' the pool's, 'ex\.SList' the SLIST's.
# Defaults: every benchmark, -f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc (FORKS, WI, ITERS override).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
REGEX="${1:-.*}"; shift || true
mvn -q -B -DskipTests -pl benchmarks -am package
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$ROOT/bench-results/$STAMP"
mkdir -p "$OUT"
# shellcheck disable=SC2086
"$JDK/bin/java" $JVM_FLAGS -jar benchmarks/target/benchmarks.jar "$REGEX" -jvmArgsPrepend "$JVM_FLAGS" \
  -f "${FORKS:-1}" -wi "${WI:-3}" -i "${ITERS:-5}" -w 1s -r 1s -prof gc -rf json -rff "$OUT/jmh.json" "$@" | tee "$OUT/jmh.txt"
# The CPU's family, model and clock too: "AMD EPYC" alone names machines whose locked instructions differ by 3x
# (Zen 1 against Zen 2/3), and the lock rows' ratios to their peers move with them.
CPU="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) (family $(grep -m1 '^cpu family' /proc/cpuinfo | cut -d: -f2 | xargs), model $(grep -m1 '^model[[:space:]]' /proc/cpuinfo | cut -d: -f2 | xargs), $(grep -m1 '^cpu MHz' /proc/cpuinfo | cut -d: -f2 | xargs | cut -d. -f1) MHz)"
MACHINE="$(nproc) vCPU $CPU, $(free -g | awk '/Mem:/{print $2}') GiB, $("$JDK/bin/java" -version 2>&1 | head -1)"
"$JDK/bin/java" -cp benchmarks/target/benchmarks.jar dev.offkern.bench.report.BenchReport "$OUT/jmh.json" "$OUT" "$MACHINE"
echo "results: $OUT/results.md"
