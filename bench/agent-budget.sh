#!/usr/bin/env bash
# The agent's budget (issue 6): hotplug-event → applied latency, idle CPU, peak RSS of
# `chameleon run --mode apply`, measured inside a throwaway network/PID/mount namespace so the
# machine's own interfaces and sysctls are never touched. Needs root (unshare, ip).
#
#   bench/agent-budget.sh [IDLE_SECONDS=600] [JAR=chameleon-agent/target/chameleon.jar]
#
# Targets: latency ≤ 1 s, idle CPU ≤ 0.1 % of a core (over 10 minutes), peak RSS ≤ 64 MiB.
# JVM flags (CHAMELEON_JVM_OPTS overrides), chosen for a small footprint of a long-running, mostly idle agent:
#   -Xmx48m -Xms8m                 heap cap; a pass allocates a few MiB
#   -XX:+UseSerialGC               no GC worker threads, smallest GC overhead
#   -XX:TieredStopAtLevel=1        C1 only: less compiler memory and CPU; passes are not hot loops
#   -XX:CICompilerCount=1 -XX:ReservedCodeCacheSize=16m
#   -Xss256k                       small thread stacks (about ten threads)
#   -XX:MaxMetaspaceSize=64m -XX:MaxDirectMemorySize=8m
#   -XX:-UsePerfData               no /tmp/hsperfdata mmap
set -euo pipefail
IDLE=${1:-600}
JAR=${2:-$(dirname "$0")/../chameleon-agent/target/chameleon.jar}
JAR=$(readlink -f "$JAR")
OPTS=${CHAMELEON_JVM_OPTS:--Xmx48m -Xms8m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:ReservedCodeCacheSize=16m -Xss256k -XX:MaxMetaspaceSize=64m -XX:MaxDirectMemorySize=8m -XX:-UsePerfData}
[ "$(id -u)" = 0 ] || { echo "needs root (network namespace)" >&2; exit 2; }
[ -f "$JAR" ] || { echo "no $JAR; build with ./mvnw -o -B -pl chameleon-agent -am package -DskipTests" >&2; exit 2; }
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
cat > "$WORK/inner.sh" <<INNER
set -euo pipefail
mount -t sysfs sysfs /sys
ip link set lo up
java $OPTS -jar "$JAR" run --mode apply --no-default-policies --no-system-policies --policies "$WORK/policies" \
    --state-dir "$WORK/state" --log-format json > "$WORK/agent.log" 2>&1 &
PID=\$!
trap 'kill \$PID 2>/dev/null || true; wait \$PID 2>/dev/null || true' EXIT
n=0; until grep -q '"event":"pass"' "$WORK/state/events.jsonl" 2>/dev/null; do sleep 0.1; n=\$((n+1)); [ \$n -lt 600 ] || { cat "$WORK/agent.log"; exit 1; }; done
sleep 2
for i in 0 1 2; do
  t0=\$(date +%s%N)
  ip link add bnc\$i type veth peer name bnp\$i
  n=0; until [ "\$(cat /sys/class/net/bnc\$i/mtu)" = 1400 ]; do sleep 0.005; n=\$((n+1)); [ \$n -lt 2000 ] || { echo "bnc\$i: not applied within 10 s"; break; }; done
  t1=\$(date +%s%N)
  echo "hotplug→applied latency bnc\$i: \$(( (t1 - t0) / 1000000 )) ms (ip link add → /sys/class/net/bnc\$i/mtu = 1400)"
  sleep 1
done
tick=\$(getconf CLK_TCK)
cpu() { awk '{print \$14 + \$15}' /proc/\$PID/stat; }
c0=\$(cpu); t0=\$(date +%s%N)
sleep $IDLE
c1=\$(cpu); t1=\$(date +%s%N)
awk -v c=\$((c1 - c0)) -v hz=\$tick -v ns=\$((t1 - t0)) 'BEGIN { printf "idle CPU: %.3f %% of a core over %.0f s (%d ticks of 1/%d s; /proc/PID/stat utime+stime)\n", 100 * c / hz / (ns / 1e9), ns / 1e9, c, hz }'
grep -E 'VmHWM|VmRSS' /proc/\$PID/status | awk '{ printf "%s %.1f MiB\n", \$1, \$2 / 1024 }'
echo "passes: \$(grep -c '"event":"pass"' "$WORK/state/events.jsonl"), change sets: \$(grep -c '"event":"change-set"' "$WORK/state/events.jsonl")"
echo "JVM options: $OPTS"
INNER
unshare --net --pid --fork --kill-child --mount-proc -- bash "$WORK/inner.sh"
