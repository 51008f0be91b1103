#!/usr/bin/env bash
# Per-benchmark change between two JMH result sets: benchmarks/compare.sh OLD NEW
# OLD and NEW are JMH -rf json files or result directories (bench-results/<stamp>/). Prints a markdown
# table: both scores with their error, the speed-up (old cost / new cost) and faster/slower only where
# the error bars do not overlap. Builds the benchmarks jar if it is missing.
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: benchmarks/compare.sh OLD NEW" >&2; exit 2; }
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
[[ -f benchmarks/target/benchmarks.jar ]] || mvn -q -B -DskipTests -pl benchmarks -am package
exec "$JDK/bin/java" -cp benchmarks/target/benchmarks.jar dev.offkern.bench.report.BenchCompare "$1" "$2"
