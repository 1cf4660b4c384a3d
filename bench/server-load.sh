#!/usr/bin/env bash
# The control plane's budget (issue 14): N simulated agents (default 10,000) enrolled, each
# reporting once per interval (default 60 s) and long-polling its bundle, against server
# replica(s) on one real PostgreSQL, all on loopback. Prints and writes the load generator's
# totals (sustained reports/s, p50/p99/max report latency, bundles) and each replica's resident
# memory (VmRSS sampled every 5 s, VmHWM at the end) from /proc/PID/status.
#
#   bench/server-load.sh [AGENTS=10000] [REPLICAS=1] [DURATION_S=300]
#
# Environment:
#   INTERVAL=60       seconds between one agent's reports (divide it to compress time: 6 = 10x)
#   STARTUP=120       enrollments spread over this many seconds
#   LONG_POLL=60      bundle long-poll wait, seconds
#   WARMUP=90         seconds after the last enrollment before measuring (the enrollment wave drains)
#   SEED=1            the generator's seed (same seed, same fleet)
#   SERVER_OPTS=...   JVM options of each replica (default -Xmx1g -XX:+UseSerialGC: a small server)
#   POOL=20           database connections per replica
#   OUT=FILE          where the JSON result goes (default bench/results/server-load-latest.json)
#
# Budget: 10,000 agents reporting every 60 s, p99 <= 100 ms, on this 2-core machine.
# PostgreSQL is Debian's package (apt-get install postgresql), its binaries started on a free
# loopback port in a temp cluster with its default durability (fsync and synchronous commit on);
# as root it runs as the postgres user. Bounded: the run stops after DURATION_S; every process
# it started is stopped on exit.
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
AGENTS=${1:-10000}
REPLICAS=${2:-1}
DURATION=${3:-300}
INTERVAL=${INTERVAL:-60}
STARTUP=${STARTUP:-120}
LONG_POLL=${LONG_POLL:-60}
WARMUP=${WARMUP:-90}
SEED=${SEED:-1}
POOL=${POOL:-20}
SERVER_OPTS=${SERVER_OPTS:--Xmx1g -XX:+UseSerialGC}
OUT=${OUT:-$HERE/bench/results/server-load-latest.json}
cd "$HERE"
# shellcheck source=bench/lib/temp-postgres.sh
. bench/lib/temp-postgres.sh

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/postgres" ] || { echo "server-load: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)" # a long poll per agent: one socket each, on both sides

echo "server-load: building" >&2
./mvnw -B -ntp -q -pl chameleon-server -am -DskipTests package dependency:build-classpath \
  -Dmdep.outputFile=target/server-load.cp -Dmdep.includeScope=test >&2
CP="chameleon-server/target/classes:chameleon-server/target/test-classes:$(cat chameleon-server/target/server-load.cp)"

WORK=$(mktemp -d /tmp/chameleon-load.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# PostgreSQL in a temp cluster on a free port
temp_postgres -c max_connections=200

# replicas: the first makes the signing key, the others get a copy
URLS=()
SPIDS=()
for i in $(seq 1 "$REPLICAS"); do
  DATA="$WORK/replica$i"; mkdir -p "$DATA"
  [ "$i" -gt 1 ] && cp "$WORK/replica1/bundle-signing.key" "$DATA/"
  PORT=$(free_port)
  # shellcheck disable=SC2086
  java $SERVER_OPTS -cp "$CP" dev.chameleon.server.ServerMain --db "$DB" --data-dir "$DATA" --listen "127.0.0.1:$PORT" \
    --pool "$POOL" >"$WORK/server$i.log" 2>&1 &
  PIDS+=($!); SPIDS+=($!)
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { cat "$WORK/server$i.log" >&2; exit 1; }
  URLS+=(--server "http://127.0.0.1:$PORT")
done
TOKEN=$(java -cp "$CP" dev.chameleon.server.ServerMain token create --name load --db "$DB" --data-dir "$WORK/replica1" 2>/dev/null)

# resident memory of each replica, every 5 s
( while true; do
    for p in "${SPIDS[@]}"; do
      printf '%s %s %s\n' "$(date +%s)" "$p" "$(awk '/VmRSS/{print $2}' /proc/"$p"/status 2>/dev/null)"
    done
    sleep 5
  done ) >"$WORK/rss.log" &
PIDS+=($!)

echo "server-load: $AGENTS agents, $REPLICAS replica(s), report every ${INTERVAL}s, ${DURATION}s measured, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
java -Xmx3g -XX:+UseSerialGC -cp "$CP" dev.chameleon.server.load.LoadGenerator "${URLS[@]}" --token "$TOKEN" --agents "$AGENTS" \
  --interval "$INTERVAL" --duration "$DURATION" --startup "$STARTUP" --long-poll "$LONG_POLL" --seed "$SEED" --warmup "$WARMUP" \
  --templates bench/fleet/templates --out "$WORK/result.json" >/dev/null
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$WORK/result.json" "$WORK/rss.log" "$OUT" "$REPLICAS" "$INTERVAL" "$LOADAVG" "${SPIDS[@]}" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))
rss = {}
for line in open(sys.argv[2]):
    parts = line.split()
    if len(parts) == 3:
        rss.setdefault(parts[1], []).append(int(parts[2]))
hwm = {}
for pid in sys.argv[7:]:
    try:
        for l in open('/proc/%s/status' % pid):
            if l.startswith('VmHWM'):
                hwm[pid] = int(l.split()[1])
    except OSError:
        pass
res['replicas'] = int(sys.argv[4])
res['intervalSeconds'] = int(sys.argv[5])
res['loadAverageAtEnd'] = sys.argv[6]
res['serverRssMiB'] = {pid: {'last': round(v[-1] / 1024, 1), 'max': round(max(v) / 1024, 1)} for pid, v in rss.items()}
res['serverPeakRssMiB'] = {pid: round(v / 1024, 1) for pid, v in hwm.items()}
json.dump(res, open(sys.argv[3], 'w'), indent=1)
print(json.dumps(res, indent=1))
PY
