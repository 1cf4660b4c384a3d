#!/usr/bin/env bash
# The simulation's budget (issue 14): POST /api/v1/simulate of one policy over N agents' last
# facts and current values (default 10,000; goal: at most 2 s). A server in one JVM with its
# embedded database in a temp folder (or DB=jdbc:postgresql://... for a PostgreSQL you run),
# N agents enrolled over HTTP with the facts of bench/fleet/templates; the server is then started
# again on the same database and called FIRST_AFTER seconds after that start (the first call), then
# RUNS more times. Each line: seconds after the start, facts cache warm or still warming, the
# times, the load average. SERVER_OPTS='-Xmx1g -XX:+UseSerialGC -Dchameleon.server.warmFacts=false'
# measures a start without the background warming (the first call parses every agent's facts).
#
#   bench/simulate.sh [AGENTS=10000] [RUNS=5] [FIRST_AFTER=10]
#
# Run it when the machine is quiet (uptime); the load average is printed with the figures.
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
AGENTS=${1:-10000}
RUNS=${2:-5}
FIRST_AFTER=${3:-10}
OPTS=${SERVER_OPTS:--Xmx1g -XX:+UseSerialGC}
cd "$HERE"
./mvnw -B -ntp -o -q -pl chameleon-server -am -DskipTests package dependency:build-classpath \
  -Dmdep.outputFile=target/server-load.cp -Dmdep.includeScope=test >&2
CP="chameleon-server/target/classes:chameleon-server/target/test-classes:$(cat chameleon-server/target/server-load.cp)"
ARGS=(--agents "$AGENTS" --runs "$RUNS" --first-after "$FIRST_AFTER" --templates bench/fleet/templates)
[ -n "${DB:-}" ] && ARGS+=(--db "$DB")
# shellcheck disable=SC2086
exec timeout 1800 java $OPTS -cp "$CP" dev.chameleon.server.load.SimulateBench "${ARGS[@]}"
