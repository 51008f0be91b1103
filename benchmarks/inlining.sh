#!/usr/bin/env bash
# Which of offkern's methods C2 refused to inline on a benchmark's hot path, and why.
#   benchmarks/inlining.sh [JMH include regex] [extra JMH options...]
# Runs the benchmarks (1 fork, short: the compilations, not the scores, are what it reads) with
# -XX:+PrintInlining and keeps C2's refusals that leave a call on a hot path:
#   "hot method too big"                  the callee's bytecode is over FreqInlineSize (325 bytes);
#   "already compiled into a big method"  the callee was compiled on its own first, and its machine code
#   (or "... a medium method")            is over InlineSmallCode (2500 bytes): a helper of the caller's
#                                         that wraps a DDI pair can be refused this way.
# C1's refusals ("callee is too large") are left out: C1 code is not what a warmed-up loop runs.
# Writes bench-results/inlining-<stamp>/: inlining.md (per benchmark, each refused callee of dev.offkern with its
# reason and how often C2 refused it) and refusals.txt (the benchmark headers and the log lines of those refusals).
# The whole log (tens of MB) is kept as jmh.txt only with KEEP_LOG=1. A refusal in a benchmark class's own
# helper is listed too: it says the benchmark measures a call the DDI itself does not make.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
REGEX="${1:-.*}"; shift || true
mvn -q -B -DskipTests -pl benchmarks -am package
OUT="$ROOT/bench-results/inlining-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
# shellcheck disable=SC2086
"$JDK/bin/java" $JVM_FLAGS -jar benchmarks/target/benchmarks.jar "$REGEX" \
  -jvmArgsPrepend "$JVM_FLAGS -XX:+UnlockDiagnosticVMOptions -XX:+PrintInlining" \
  -f 1 -wi "${WI:-3}" -i "${ITERS:-1}" -w 1s -r 1s "$@" > "$OUT/jmh.txt" 2>&1
# The C2 refusals kept (the same pattern for inlining.md and refusals.txt).
REFUSAL='hot method too big|already compiled into a (big|medium) method'
awk -v refusal="$REFUSAL" '
  /^# Benchmark: /   { bench = $3; if (!(bench in seen)) { seen[bench] = 1; order[++n] = bench } next }
  /dev\.offkern/ && $0 ~ refusal {
    match($0, /dev\.offkern\.[A-Za-z0-9_.$]+::[A-Za-z0-9_$<>]+ \([0-9]+ bytes\)/)
    callee = substr($0, RSTART, RLENGTH)
    match($0, refusal)
    key = bench SUBSEP callee " — " substr($0, RSTART, RLENGTH)
    if (!(key in count)) { keys[bench] = keys[bench] key "\n" }
    count[key]++
  }
  END {
    print "# C2 inlining refusals on the benchmarks'"'"' hot paths\n"
    print "Refusals of dev.offkern methods only; \"hot method too big\": bytecode over FreqInlineSize (325 bytes);"
    print "\"already compiled into a big/medium method\": compiled on its own first, machine code over InlineSmallCode.\n"
    print "| benchmark | refused callee — reason | times |"
    print "|---|---|---|"
    for (i = 1; i <= n; i++) {
      b = order[i]
      if (keys[b] == "") { printf "| %s | none | |\n", b; continue }
      m = split(keys[b], ks, "\n")
      for (j = 1; j <= m; j++) if (ks[j] != "") {
        split(ks[j], parts, SUBSEP)
        printf "| %s | `%s` | %d |\n", b, parts[2], count[ks[j]]
      }
    }
  }' "$OUT/jmh.txt" > "$OUT/inlining.md"
grep -E "^# (Benchmark|Parameters): |dev\\.offkern.*($REFUSAL)" "$OUT/jmh.txt" \
  > "$OUT/refusals.txt" || true
[[ "${KEEP_LOG:-0}" == 1 ]] || rm "$OUT/jmh.txt"
echo "inlining: $OUT/inlining.md"
