#!/usr/bin/env bash
# One-shot `facts` and `plan` wall time with and without apt's answer in the store (issue 13):
# "cold" runs each get an empty state folder (apt-cache policy is asked, as before the store),
# "warm" runs share one state folder whose STATE/cache/updates.apt was written by a first run and
# whose stamp (dpkg status, apt lists, /etc/apt) still holds. Interleaved cold/warm, RUNS each;
# prints every wall time, the medians and the load average before and after. Read-only for the
# machine: the state folders are temporary (nothing is applied; `plan` is the default).
#   bench/updates-store.sh [RUNS=5] [JAR=chameleon-cli/target/chameleon.jar]
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
RUNS=${1:-5}
JAR=$(readlink -f "${2:-$HERE/chameleon-cli/target/chameleon.jar}")
[ -f "$JAR" ] || { echo "no $JAR; build with ./mvnw -o -B -pl chameleon-cli -am package -DskipTests" >&2; exit 2; }
command -v apt-cache >/dev/null || { echo "no apt-cache here: nothing to store" >&2; exit 2; }
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
WARM=$TMP/warm; mkdir -p "$WARM"
java -jar "$JAR" facts updates --state-dir "$WARM" >/dev/null 2>&1 || true
[ -f "$WARM/cache/updates.apt" ] || { echo "the first run stored nothing in $WARM/cache" >&2; exit 1; }
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
wall() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
for cmd in facts plan; do
  : >"$TMP/$cmd.cold"; : >"$TMP/$cmd.warm"
  for i in $(seq 1 "$RUNS"); do
    COLD=$TMP/cold$i-$cmd; mkdir -p "$COLD"
    c=$(wall java -jar "$JAR" "$cmd" --state-dir "$COLD"); echo "$c" >>"$TMP/$cmd.cold"
    w=$(wall java -jar "$JAR" "$cmd" --state-dir "$WARM"); echo "$w" >>"$TMP/$cmd.warm"
    echo "$cmd run $i: cold ${c} ms, warm ${w} ms (load $(cut -d' ' -f1 /proc/loadavg))"
  done
  echo "$cmd median: cold $(median <"$TMP/$cmd.cold") ms, warm $(median <"$TMP/$cmd.warm") ms"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
