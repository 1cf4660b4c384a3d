#!/usr/bin/env bash
# What each start-up measure bought: runs `facts --output json` from several agent jars (one per
# commit) with the launcher's JVM options and each jar's own dynamic CDS archive, side by side in
# one hyperfine run, so machine noise hits all of them alike.
#
#   bench/variants.sh RUNS NAME=JAR [NAME=JAR...]
#
# Build the jars from commits first, e.g. in a scratch clone:
#   git clone -q . /tmp/b && cd /tmp/b && git checkout -q COMMIT && \
#     ./mvnw -o -q -B -DskipTests package -pl chameleon-cli -am && cp chameleon-cli/target/chameleon.jar /tmp/COMMIT.jar
set -euo pipefail
RUNS="$1"; shift
OPTS="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -XX:-UsePerfData -Xlog:disable -Xlog:all=error:stderr"
ARGS=()
for v in "$@"; do
  name="${v%%=*}"; jar="${v#*=}"
  jsa="${jar%.jar}.jsa"
  rm -f "$jsa"
  java $OPTS -XX:ArchiveClassesAtExit="$jsa" -jar "$jar" facts --output json >/dev/null   # record the archive
  ARGS+=(-n "$name" "java $OPTS -XX:SharedArchiveFile=$jsa -Xshare:auto -jar $jar facts --output json")
done
hyperfine -N -i --style basic --warmup 2 --runs "$RUNS" "${ARGS[@]}" 2>&1 | grep -Ev '^\s*$'
