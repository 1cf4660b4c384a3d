#!/usr/bin/env bash
# The agent's budget (issue 6): hotplug-event → applied latency, idle CPU, peak RSS of
# `chameleon run --mode apply`, measured inside a throwaway network/PID/mount namespace so the
# machine's own interfaces and sysctls are never touched. Needs root (unshare, ip).
#
#   bench/agent-budget.sh [IDLE_SECONDS=600] [JAR=chameleon-cli/target/chameleon.jar]
#
# Targets: latency ≤ 1 s, idle CPU ≤ 0.1 % of a core (over 10 minutes), peak RSS ≤ 64 MiB.
#
# The agent starts as the .deb starts it: through the launcher the package installs
# (chameleon-packaging/src/deb/files/chameleon, with CHAMELEON_JAR pointing at JAR) and with the
# Environment= of the systemd unit (chameleon.service: CHAMELEON_JAVA_OPTS, MALLOC_ARENA_MAX), read
# from the unit file, so the figures are those of the shipped configuration. The unit's comments
# say why each JVM option is there; bench/results/agent-memory-*.md what each one bought.
#
# Environment:
#   CHAMELEON_JVM_OPTS=...       JVM options instead of the unit's CHAMELEON_JAVA_OPTS (to compare)
#   CHAMELEON_UNIT=FILE          take Environment= from another unit file (to compare)
#   CHAMELEON_BENCH_METRICS=1    also serve Prometheus metrics (--metrics 127.0.0.1:9465) and scrape
#                                them every 15 s, as a Prometheus server would: they count in the budget
#   CHAMELEON_BENCH_PACK=1       also load the built-in policy pack, in plan mode (the .deb's
#                                default configuration). Plan mode changes nothing, so the pack is
#                                safe on any machine, and there is no latency to measure.
# The peak RSS is read from /proc/PID/status (VmHWM) and, as the agent reports it itself, from
# `chameleon status` (and the chameleon_agent_resident_memory_peak_bytes metric).
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
IDLE=${1:-600}
JAR=$(readlink -f "${2:-$HERE/chameleon-cli/target/chameleon.jar}")
UNIT="${CHAMELEON_UNIT:-$HERE/chameleon-packaging/src/deb/files/chameleon.service}"
LAUNCHER="$HERE/chameleon-packaging/src/deb/files/chameleon"
[ "$(id -u)" = 0 ] || { echo "needs root (network namespace)" >&2; exit 2; }
[ -f "$JAR" ] || { echo "no $JAR; build with ./mvnw -o -B -pl chameleon-cli -am package -DskipTests" >&2; exit 2; }
# The unit's Environment= lines, as NAME=VALUE words for env(1).
UNIT_ENV=()
while IFS= read -r line; do
  line=${line#Environment=}; line=${line#\"}; line=${line%\"}
  UNIT_ENV+=("$line")
done < <(grep '^Environment=' "$UNIT")
if [ -n "${CHAMELEON_JVM_OPTS:-}" ]; then
  UNIT_ENV=("${UNIT_ENV[@]/#CHAMELEON_JAVA_OPTS=*/CHAMELEON_JAVA_OPTS=$CHAMELEON_JVM_OPTS}")
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/policies"
cat > "$WORK/policies/bench.yaml" <<'YAML'
apiVersion: chameleon/v1
kind: Policy
metadata: {name: bench}
spec:
  settings:
    - nic: {name: bnc0, mtu: 1400}
    - nic: {name: bnc1, mtu: 1400}
    - nic: {name: bnc2, mtu: 1400}
    - sysctl: {key: net.core.somaxconn, value: 8192}
YAML
ARGS=(run --no-system-policies --policies "$WORK/policies" --state-dir "$WORK/state" --log-format json)
if [ "${CHAMELEON_BENCH_PACK:-}" = 1 ]; then ARGS+=(--mode plan); else ARGS+=(--mode apply --no-default-policies); fi
[ "${CHAMELEON_BENCH_METRICS:-}" = 1 ] && ARGS+=(--metrics 127.0.0.1:9465)
export WORK IDLE JAR LAUNCHER
export PACK=${CHAMELEON_BENCH_PACK:-} METRICS=${CHAMELEON_BENCH_METRICS:-}
printf '%s\0' "${UNIT_ENV[@]}" > "$WORK/env"
printf '%s\0' "${ARGS[@]}" > "$WORK/args"
cat > "$WORK/inner.sh" <<'INNER'
set -euo pipefail
mount -t sysfs sysfs /sys
ip link set lo up
mapfile -d '' -t ENVV < "$WORK/env"
mapfile -d '' -t ARGV < "$WORK/args"
env "${ENVV[@]}" CHAMELEON_JAR="$JAR" sh "$LAUNCHER" "${ARGV[@]}" > "$WORK/agent.log" 2>&1 &
PID=$!   # the launcher execs java: this is the JVM
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true' EXIT
events() { cat "$WORK/state/events.jsonl" 2>/dev/null | grep -c "\"event\":\"$1\"" || true; }
scrape() { curl -sf http://127.0.0.1:9465/metrics 2>/dev/null || true; }
n=0; until [ "$(events pass)" -ge 1 ]; do sleep 0.1; n=$((n+1)); [ $n -lt 600 ] || { cat "$WORK/agent.log"; exit 1; }; done
sleep 2
if [ -z "$PACK" ]; then
  for i in 0 1 2; do
    t0=$(date +%s%N)
    ip link add bnc$i type veth peer name bnp$i
    n=0; until [ "$(cat /sys/class/net/bnc$i/mtu)" = 1400 ]; do sleep 0.005; n=$((n+1)); [ $n -lt 2000 ] || { echo "bnc$i: not applied within 10 s"; break; }; done
    t1=$(date +%s%N)
    echo "hotplug→applied latency bnc$i: $(( (t1 - t0) / 1000000 )) ms (ip link add → /sys/class/net/bnc$i/mtu = 1400)"
    sleep 1
  done
fi
if [ -n "$METRICS" ]; then ( while sleep 15; do scrape > /dev/null; done ) & SCRAPER=$!; scrape > /dev/null; fi
tick=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' /proc/$PID/stat; }
children() { awk '{print $16 + $17}' /proc/$PID/stat; }   # commands the agent ran (modprobe, ethtool, ...), once reaped
c0=$(cpu); k0=$(children); t0=$(date +%s%N)
sleep "$IDLE"
c1=$(cpu); k1=$(children); t1=$(date +%s%N)
awk -v c=$((c1 - c0)) -v hz=$tick -v ns=$((t1 - t0)) 'BEGIN { printf "idle CPU: %.3f %% of a core over %.0f s (%d ticks of 1/%d s; /proc/PID/stat utime+stime)\n", 100 * c / hz / (ns / 1e9), ns / 1e9, c, hz }'
awk -v c=$((k1 - k0)) -v hz=$tick -v ns=$((t1 - t0)) 'BEGIN { printf "idle CPU of the commands it ran: %.3f %% of a core (%d ticks; /proc/PID/stat cutime+cstime)\n", 100 * c / hz / (ns / 1e9), c }'
if [ -n "$METRICS" ]; then
  kill $SCRAPER 2>/dev/null || true
  scrape | awk '/^chameleon_agent_resident_memory_peak_bytes /{ printf "agent'"'"'s own peak RSS, metric chameleon_agent_resident_memory_peak_bytes: %.1f MiB\n", $2 / 1048576 }'
fi
env CHAMELEON_JAR="$JAR" sh "$LAUNCHER" status --state-dir "$WORK/state" | grep '^Cost:' | sed 's/^/chameleon status: /'
# read after the status request, so the peak includes answering it (and the last scrape)
grep -E 'VmHWM|VmRSS' /proc/$PID/status | awk '{ printf "%s %.1f MiB (/proc/PID/status)\n", $1, $2 / 1024 }'
echo "passes: $(events pass), change sets: $(events change-set)"
INNER
unshare --net --pid --fork --kill-child --mount-proc -- bash "$WORK/inner.sh"
echo "agent: ${ARGS[*]/$WORK/WORK}"
echo "environment (from $(basename "$UNIT")): ${UNIT_ENV[*]}"
