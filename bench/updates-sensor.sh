#!/usr/bin/env bash
# The updates sensor's cost on this machine (issue 19): the apt-cache policy call it makes
# (wall and CPU time, /usr/bin/time) and the sensor's own durationMs as `chameleon facts updates`
# reports it (one-shot: apt is asked every time; the daemon asks again only when dpkg's status,
# apt's lists or /etc/apt changed). Read-only: apt-cache needs no lock and changes nothing.
#   bench/updates-sensor.sh [RUNS=5] [JAR=chameleon-cli/target/chameleon.jar]
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
RUNS=${1:-5}
JAR=$(readlink -f "${2:-$HERE/chameleon-cli/target/chameleon.jar}")
[ -f "$JAR" ] || { echo "no $JAR; build with ./mvnw -o -B -pl chameleon-cli -am package -DskipTests" >&2; exit 2; }
command -v apt-cache >/dev/null || { echo "no apt-cache here: the sensor reports no packages" >&2; exit 2; }
REL=$(cat /proc/sys/kernel/osrelease)
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$RUNS"); do
  /usr/bin/time -f "apt-cache policy: wall %e s, user %U s, sys %S s" \
    env LC_ALL=C apt-cache policy intel-microcode amd64-microcode "linux-image-$REL" >/dev/null
done 2>&1
for i in $(seq 1 "$RUNS"); do
  java -jar "$JAR" facts updates -o json 2>/dev/null | grep -o '"durationMs" : [0-9.]*' | sed 's/^/sensor /'
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
