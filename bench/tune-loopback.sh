#!/usr/bin/env bash
# Learned tuning, real proof (issue 17): a loopback TCP stream (iperf3, from Debian) inside a
# throwaway network namespace, tuned over per-namespace TCP sysctls. One run reports, side by side:
#   defaults       the namespace's values as the kernel made them
#   tuned-profile  TuneD's network-throughput profile for the same knobs (profiles/network-throughput/
#                  tuned.conf: net.ipv4.tcp_rmem="4096 131072 16777216", net.ipv4.tcp_wmem="4096 16384
#                  16777216"; it sets neither the congestion control nor autocorking: kernel defaults)
#   random         chameleon tune --optimizer random, same budget and seed
#   gp             chameleon tune --optimizer gp (Gaussian-process Bayesian optimisation)
# with each one's mean, the gain over the defaults measured in the same run, and for the tuners the
# trial that reached their best. Needs root (unshare), iperf3 and python3 (the summary).
#
#   bench/tune-loopback.sh [TRIALS=8] [JAR=chameleon-cli/target/chameleon.jar]
#
# Environment: TUNE_PROBE_SECONDS (default 2: seconds per iperf3 measurement), TUNE_REPEATS (3),
# TUNE_SEED (1), TUNE_OUT (folder for the JSON reports; default a temporary folder, printed).
# Nothing outside the namespace is changed: every sysctl here is per network namespace (a non-init
# namespace has no /proc/sys/net/core/* that is not its own), and the journal is a temporary folder.
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
TRIALS=${1:-8}
JAR=$(readlink -f "${2:-$HERE/chameleon-cli/target/chameleon.jar}")
[ "$(id -u)" = 0 ] || { echo "needs root (unshare --net)" >&2; exit 2; }
command -v iperf3 >/dev/null || { echo "needs iperf3 (apt-get install iperf3)" >&2; exit 2; }
[ -f "$JAR" ] || { echo "no $JAR: build with ./mvnw -B -ntp -pl chameleon-cli -am package -DskipTests" >&2; exit 2; }
OUT=${TUNE_OUT:-$(mktemp -d /tmp/tune-loopback.XXXXXX)}
mkdir -p "$OUT"
export JAR OUT TRIALS HERE
export TUNE_PROBE="$HERE/bench/tune/iperf3-probe.sh" TUNE_PROBE_SECONDS=${TUNE_PROBE_SECONDS:-2}
export TUNE_REPEATS=${TUNE_REPEATS:-3} TUNE_SEED=${TUNE_SEED:-1}
echo "load before: $(uptime)"
unshare --net -- bash -euo pipefail <<'INNER'
ip link set lo up
iperf3 -s -p 5201 >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
sleep 0.5
J="java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar $JAR"
# the congestion controls this namespace may choose (tcp_allowed_congestion_control), as choices
CC=$(tr " " "\n" < /proc/sys/net/ipv4/tcp_allowed_congestion_control | grep -v "^$" | paste -sd, -)
CCKNOB=""
if [ "$(echo "$CC" | tr ',' '\n' | wc -l)" -ge 2 ]; then
  CCKNOB="    - sysctl: {key: net.ipv4.tcp_congestion_control}
      choices: [$CC]"
fi
cat > "$OUT/loopback.yaml" <<YAML
apiVersion: chameleon/v1
kind: Tuning
metadata:
  name: loopback-throughput
  description: iperf3 over 127.0.0.1 in a network namespace, Gbit/s
spec:
  objective:
    probe: {command: [$TUNE_PROBE], timeout: 60s}
    goal: maximise
    repeats: $TUNE_REPEATS
  knobs:
    - sysctl: {key: net.ipv4.tcp_wmem}
      choices: ["4096 16384 4194304", "4096 16384 16777216", "4096 65536 16777216", "4096 262144 16777216", "4096 1048576 33554432", "4096 4194304 67108864"]
    - sysctl: {key: net.ipv4.tcp_rmem}
      choices: ["4096 87380 6291456", "4096 131072 6291456", "4096 131072 16777216", "4096 131072 33554432", "4096 1048576 67108864"]
$CCKNOB
    - sysctl: {key: net.ipv4.tcp_autocorking}
      choices: [1, 0]
  budget: {trials: $TRIALS, time: 10m}
  guardrail: {maxRegression: 50}
YAML
measure() { # NAME: TUNE_REPEATS+2 measurements of the current values, one per line
  for i in $(seq $((TUNE_REPEATS + 2))); do "$TUNE_PROBE" < /dev/null; done > "$OUT/$1.values"
}
START=$(for k in tcp_wmem tcp_rmem tcp_congestion_control tcp_autocorking; do printf '%s=%s; ' $k "$(cat /proc/sys/net/ipv4/$k)"; done)
echo "namespace defaults: $START"
measure defaults
W0=$(cat /proc/sys/net/ipv4/tcp_wmem); R0=$(cat /proc/sys/net/ipv4/tcp_rmem)
echo "4096 16384 16777216" > /proc/sys/net/ipv4/tcp_wmem
echo "4096 131072 16777216" > /proc/sys/net/ipv4/tcp_rmem
measure tuned-profile
echo "$W0" > /proc/sys/net/ipv4/tcp_wmem; echo "$R0" > /proc/sys/net/ipv4/tcp_rmem
for opt in random gp; do
  t0=$(date +%s)
  $J tune "$OUT/loopback.yaml" --yes --optimizer $opt --seed "$TUNE_SEED" --no-default-policies --no-system-policies \
      --state-dir "$OUT/state-$opt" -o json > "$OUT/$opt.json" 2> "$OUT/$opt.log" < /dev/null
  echo "$opt: $(( $(date +%s) - t0 )) s"
done
END=$(for k in tcp_wmem tcp_rmem tcp_congestion_control tcp_autocorking; do printf '%s=%s; ' $k "$(cat /proc/sys/net/ipv4/$k)"; done)
echo "namespace at the end: $END"
[ "$START" = "$END" ] || { echo "NOT PUT BACK" >&2; exit 1; }
INNER
echo "load after: $(uptime)"
python3 - "$OUT" <<'PY'
import json, statistics, sys
out = sys.argv[1]
def vals(name):
    return [float(x) for x in open(f"{out}/{name}.values").read().split()]
d = vals("defaults"); base = statistics.mean(d)
rows = [("defaults", d, "-"), ("tuned-profile", vals("tuned-profile"), "-")]
for opt in ("random", "gp"):
    r = json.load(open(f"{out}/{opt}.json"))
    best = r.get("best")
    conf = r.get("confirmation", {}).get("measurements") or (best["measurements"] if best else [])
    rows.append((opt + " (confirmed best)", conf, f"trial {best['trial']} of {r['budget']['trialsRun']}" if best else "none"))
print(f"{'configuration':26} {'mean Gbit/s':>11} {'sd':>6} {'n':>3} {'vs defaults':>11}  reached at")
for name, v, at in rows:
    m = statistics.mean(v) if v else float('nan'); sd = statistics.stdev(v) if len(v) > 1 else 0
    print(f"{name:26} {m:11.2f} {sd:6.2f} {len(v):3d} {100 * (m - base) / base:+10.1f}%  {at}")
for opt in ("random", "gp"):
    r = json.load(open(f"{out}/{opt}.json"))
    g = r.get("gain", {})
    print(f"{opt}: chameleon's own evidence: gain {g.get('percent', float('nan')):+.1f}% "
          f"(95% CI {g.get('ci95Low', float('nan')):+.1f}% .. {g.get('ci95High', float('nan')):+.1f}%) vs its own baseline; "
          f"restored={r['restored']}; best settings: {r.get('best', {}).get('settings')}")
print(f"reports: {out}")
PY
