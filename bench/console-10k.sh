#!/usr/bin/env bash
# The web console at fleet scale (issue 16: "works at 10,000 agents"). Starts a control-plane
# server on a real PostgreSQL (a temp cluster on a free loopback port, as bench/server-load.sh
# does), loads N agents (default 10,000) through the agents' own API (enroll with a realistic
# fact tree from bench/fleet/templates, then one report batch each: plan, current values,
# status; one in 50 with a sensor problem), then times the API calls the console's pages make
# (fleet summary, first and deep page of the agent list, CEL-filtered lists, one agent page's
# six calls) and the fleet page's load in headless Chromium (Debian's chromium and
# chromium-driver), and prints PostgreSQL's EXPLAIN ANALYZE of the summary's aggregates.
#
#   bench/console-10k.sh [AGENTS=10000] [RUNS=20] [BROWSER_RUNS=5]
#
# Writes bench/results/console-10k-DATE.md (OUT=FILE to change): each figure with the load
# average (uptime) read right after it. A benchmark, not a test: nothing here fails on a time.
# Bounded: every process it started is stopped on exit; the server listens on 127.0.0.1 only.
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
AGENTS=${1:-10000}
RUNS=${2:-20}
BROWSER_RUNS=${3:-5}
SERVER_OPTS=${SERVER_OPTS:--Xmx1g -XX:+UseSerialGC}
OUT=${OUT:-$HERE/bench/results/console-10k-$(date -u +%Y%m%d-%H%M).md}
cd "$HERE"
# shellcheck source=bench/lib/temp-postgres.sh
. bench/lib/temp-postgres.sh

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/postgres" ] || { echo "console-10k: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 2; }

echo "console-10k: building" >&2
./mvnw -B -ntp -q -o -pl chameleon-server -am -DskipTests package dependency:build-classpath \
  -Dmdep.outputFile=target/console-bench.cp -Dmdep.includeScope=test >&2
CP="chameleon-server/target/classes:chameleon-server/target/test-classes:$(cat chameleon-server/target/console-bench.cp)"

WORK=$(mktemp -d /tmp/chameleon-console-bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

temp_postgres

DATA="$WORK/server"; mkdir -p "$DATA"
PORT=$(free_port)
# shellcheck disable=SC2086
java $SERVER_OPTS -cp "$CP" dev.chameleon.server.ServerMain --db "$DB" --data-dir "$DATA" --listen "127.0.0.1:$PORT" \
  >"$WORK/server.log" 2>&1 &
SPID=$!; PIDS+=($SPID)
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
TOKEN=$(java -cp "$CP" dev.chameleon.server.ServerMain token create --name console-bench --db "$DB" --data-dir "$DATA" 2>/dev/null)

echo "console-10k: $AGENTS agents, $RUNS runs per API call, $BROWSER_RUNS page loads; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
START=$(date -u +%FT%TZ)
timeout 1800 java -Xmx1g -XX:+UseSerialGC -cp "$CP" dev.chameleon.server.load.ConsoleBench --server "http://127.0.0.1:$PORT" \
  --token "$TOKEN" --agents "$AGENTS" --runs "$RUNS" --browser-runs "$BROWSER_RUNS" --templates bench/fleet/templates \
  --out "$WORK/result.json"

# the summary's aggregates as PostgreSQL runs them at this size (Inventory.summary's SQL, the times bound as the server does)
PSQL=("${AS[@]}" "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -X -q)
"${PSQL[@]}" >"$WORK/explain.txt" <<'SQL'
\echo '--- totals'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT COUNT(*), SUM(CASE WHEN last_seen_at >= now() - interval '5 minutes' THEN 1 ELSE 0 END),
  SUM(CASE WHEN last_seen_at >= now() - interval '1 hour' THEN 1 ELSE 0 END), SUM(CASE WHEN pending_changes > 0 THEN 1 ELSE 0 END),
  SUM(CASE WHEN drift > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN failing_sensors > 0 THEN 1 ELSE 0 END) FROM agents;
\echo '--- per platform group'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT hypervisor, cloud, container, COUNT(*),
  SUM(CASE WHEN last_seen_at >= now() - interval '5 minutes' THEN 1 ELSE 0 END), SUM(CASE WHEN pending_changes > 0 THEN 1 ELSE 0 END),
  COALESCE(SUM(pending_changes), 0), SUM(CASE WHEN drift > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN failing_sensors > 0 THEN 1 ELSE 0 END)
  FROM agents GROUP BY hypervisor, cloud, container ORDER BY COUNT(*) DESC, hypervisor, cloud, container;
\echo '--- health gate failures (24 h)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT COUNT(DISTINCT agent_id) FROM events WHERE kind = 'agent.health-gate'
  AND at >= now() - interval '24 hours' AND detail LIKE '%"outcome":"failed"%';
\echo '--- agent list, a deep page'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id, hostname FROM agents WHERE id > 'ag-ff' ORDER BY id LIMIT 51;
\echo '--- sizes'
SELECT (SELECT COUNT(*) FROM agents) AS agents, (SELECT COUNT(*) FROM reports) AS reports, (SELECT COUNT(*) FROM events) AS events,
  pg_size_pretty(pg_total_relation_size('agents')) AS agents_table;
SQL
RSS=$(awk '/VmHWM/{print $2}' /proc/$SPID/status)

python3 - "$WORK/result.json" "$WORK/explain.txt" "$OUT" "$START" "$RSS" "$AGENTS" "$RUNS" "$BROWSER_RUNS" <<'PY'
import json, sys, platform
res = json.load(open(sys.argv[1]))
explain = open(sys.argv[2]).read()
out, start, rss, agents, runs, bruns = sys.argv[3:9]
lines = [f"# The console at {int(agents):,} agents ({start})", "",
         f"Command: `bench/console-10k.sh {agents} {runs} {bruns}` on a 2-core machine shared with other builds;",
         "server: one replica (`-Xmx1g -XX:+UseSerialGC`) on a real PostgreSQL on loopback; agents loaded through the agents' API",
         "(enroll with facts from bench/fleet/templates, then plan, current values and status reports).",
         f"Load average before loading: {res['loadAverageBefore']}; after loading: {res['loadAverageAfterLoading']}.",
         f"Server peak RSS (VmHWM): {int(rss) / 1024:.0f} MiB.", "",
         "| what | runs | median ms | p90 ms | max ms | load average (1, 5, 15 min) right after | answer |",
         "|---|---|---|---|---|---|---|"]
for f in res['figures']:
    lines.append(f"| {f['what']} | {f['runs']} | {f['medianMs']} | {f['p90Ms']} | {f['maxMs']} | {f['loadAverage']} | {f['answer']} |")
lines += ["", "Requests:", ""]
for f in res['figures']:
    lines.append(f"- {f['what']}: `{f['request'][:400]}`")
lines += ["", "PostgreSQL's plans of the summary's aggregates and the deep page at this size:", "", "```", explain.strip(), "```", ""]
open(out, 'w').write("\n".join(lines))
print("\n".join(lines))
PY
echo "console-10k: wrote $OUT" >&2
