# Sourced by the benchmark scripts (run.sh, profile.sh, compare.sh): moves to the repository root and picks
# the JDK and the JVM flags every benchmark JVM runs with.
#   ROOT       the repository root (the working directory afterwards)
#   JDK        JDK 25: $JDK if set, else Temurin 25's usual path, else $JAVA_HOME
#   JVM_FLAGS  native access for the shim, jdk.internal.misc for the scoped accesses, verifier compiled out
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JDK="${JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}"
[[ -x "$JDK/bin/java" ]] || JDK="${JAVA_HOME:?set JAVA_HOME to a JDK 25}"
JVM_FLAGS="--enable-native-access=ALL-UNNAMED --add-opens java.base/jdk.internal.misc=ALL-UNNAMED -Doffkern.verifier=false"
