#!/usr/bin/env bash
# What one pass of the daemon costs in CPU, by sensor, evaluation and plan (bench/pass/PassCost.java),
# on the JVM options of the systemd unit (interpreted: -Xint), as the agent-budget script runs the
# agent: inside a throwaway PID + network namespace (its own /proc and /sys: the host's processes
# and interfaces out of sight), or with --host on this machine as it is. Reads only.
#
#   bench/pass-cost.sh [PASSES=40] [--host]
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
PASSES="${1:-40}"
JAR="$HERE/chameleon-cli/target/chameleon.jar"
[ -f "$JAR" ] || { echo "no $JAR; build with ./mvnw -o -B -pl chameleon-cli -am package -DskipTests" >&2; exit 2; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
javac -cp "$JAR" -d "$WORK" "$HERE/bench/pass/PassCost.java"
OPTS=$(grep '^Environment="CHAMELEON_JAVA_OPTS=' "$HERE/chameleon-packaging/src/deb/files/chameleon.service" | sed 's/^Environment="CHAMELEON_JAVA_OPTS=//; s/"$//')
CMD="java -XX:+UseSerialGC -XX:-UsePerfData $OPTS -cp $JAR:$WORK PassCost $PASSES"
echo "JVM options: $OPTS"
if [ "${2:-}" = --host ]; then
  echo "on this machine ($(ls /proc | grep -c '^[0-9]') processes)"
  MALLOC_ARENA_MAX=2 $CMD
else
  [ "$(id -u)" = 0 ] || { echo "needs root (namespaces); or pass --host" >&2; exit 2; }
  echo "in a new PID + network namespace"
  unshare --net --pid --fork --kill-child --mount-proc -- sh -c "mount -t sysfs sysfs /sys; ip link set lo up; MALLOC_ARENA_MAX=2 $CMD"
fi
