#!/usr/bin/env bash
# Where the start-up time of a one-shot `chameleon facts` goes, against the floor a JVM and picocli
# set (issue 3's budget: one fifth of `facter --json`): one hyperfine run of
#   java Hello                      a JVM that prints one line (the floor of any Java CLI)
#   java AnnotatedCli --output json picocli with one annotated command (how chameleon declares them)
#   java ProgrammaticCli ...        picocli with the model built by hand (its cheapest form)
#   chameleon facts --output json   the real thing (launcher options, its CDS archive)
#   facter --json                   the reference
# all with the launcher's JVM options (-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData).
# With a JDK 25 at /usr/lib/jvm/temurin-25-jdk-amd64, also `facts` on it with an AOT cache (JEP 483).
#
#   bench/floor.sh [RUNS]     default 15
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
RUNS="${1:-15}"
cd "$HERE"
./chameleon facts --output json >/dev/null
./chameleon facts --output json >/dev/null
JAR="$HERE/chameleon-cli/target/chameleon.jar"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
javac -cp "$JAR" -d "$WORK" bench/floor/*.java
O="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData"
ARGS=(-n hello "java $O -cp $WORK Hello"
      -n picocli-annotated "java $O -cp $JAR:$WORK AnnotatedCli --output json"
      -n picocli-programmatic "java $O -cp $JAR:$WORK ProgrammaticCli --output json"
      -n chameleon-facts "./chameleon facts --output json")
J25=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
if [ -x "$J25" ]; then
  "$J25" $O -XX:AOTCacheOutput="$WORK/facts.aot" -jar "$JAR" facts --output json >/dev/null 2>&1
  ARGS+=(-n jdk25-aot-facts "$J25 $O -XX:AOTCache=$WORK/facts.aot -jar $JAR facts --output json")
fi
command -v facter >/dev/null && ARGS+=(-n facter "facter --json")
hyperfine -N -i --style basic --warmup 2 --runs "$RUNS" "${ARGS[@]}" 2>&1 | grep -E 'Benchmark|Time|User' 
