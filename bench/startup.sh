#!/usr/bin/env bash
# Whole-process start-up time and peak memory of `chameleon facts --output json` next to
# `facter --json`, `virt-what` (and `systemd-detect-virt` when present), measured in one run.
#
#   bench/startup.sh [RUNS]     default 15 runs each, after 2 warm-ups
#
# Needs hyperfine, facter, virt-what and GNU time (apt-get install hyperfine facter virt-what time).
# Prints mean, median, min and max wall time, the ratio of medians against chameleon, and the
# peak resident set size of one run of each (GNU time's "Maximum resident set size"), and keeps
# the report in bench/results/startup-<date>.md. facter exits 1 in a container (it cannot read
# /proc/1/environ), so failures are ignored (-i); every command's stdout goes to /dev/null.
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
RUNS="${1:-15}"
for t in hyperfine facter virt-what /usr/bin/time python3; do
  command -v "$t" >/dev/null || { echo "bench: $t is missing (apt-get install hyperfine facter virt-what time)" >&2; exit 1; }
done
cd "$HERE"
./chameleon facts --output json >/dev/null   # builds on first use and records the class-data archive
./chameleon facts --output json >/dev/null
CMDS=('./chameleon facts --output json' 'facter --json' 'virt-what')
command -v systemd-detect-virt >/dev/null && CMDS+=('systemd-detect-virt')
ARGS=()
for c in "${CMDS[@]}"; do ARGS+=(-n "$c" "$c"); done
JSON="$(mktemp)"
hyperfine -N -i --style none --warmup 2 --runs "$RUNS" --export-json "$JSON" "${ARGS[@]}" >/dev/null 2>&1
OUT="$HERE/bench/results"
mkdir -p "$OUT"
REPORT="$OUT/startup-$(date -u +%Y%m%d).md"
{
  echo "# Start-up benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r);" \
       "java $(java -version 2>&1 | head -1 | cut -d'"' -f2); facter $(facter --version 2>/dev/null); virt-what $(virt-what --version 2>/dev/null)." \
       "Command: \`bench/startup.sh $RUNS\` ($RUNS runs each after 2 warm-ups, hyperfine -N)."
  echo
  python3 - "$JSON" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
base = res[0]["median"]
print("| command | mean [ms] | median [ms] | min [ms] | max [ms] | median / chameleon's |")
print("|---|---:|---:|---:|---:|---:|")
for r in res:
    print(f"| `{r['command']}` | {r['mean']*1000:.0f} ± {r['stddev']*1000:.0f} | {r['median']*1000:.0f} | {r['min']*1000:.0f} | {r['max']*1000:.0f} | {r['median']/base:.2f} |")
PY
  echo
  echo "| command | peak RSS [MiB] |"
  echo "|---|---:|"
  for c in "${CMDS[@]}"; do
    kb=$( { /usr/bin/time -v bash -c "exec $c >/dev/null 2>&1" || true; } 2>&1 | awk -F': ' '/Maximum resident set size/ {print $2}')
    printf '| `%s` | %.1f |\n' "$c" "$(python3 -c "print($kb/1024)")"
  done
} | tee "$REPORT"
rm -f "$JSON"
echo "written: $REPORT" >&2
