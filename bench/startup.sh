#!/usr/bin/env bash
# Whole-process start-up time and peak memory of `chameleon facts --output json` next to
# `facter --json` and `virt-what`, measured in the same run on this machine.
#
#   bench/startup.sh [RUNS]        (default 10 runs each; needs hyperfine, facter, virt-what)
#
# Prints hyperfine's table (mean ± σ, min, max) and the peak resident set of one run of each
# (GNU time's "Maximum resident set size"). Writes bench/results/startup-<date>.md.
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
RUNS="${1:-10}"
for t in hyperfine facter virt-what /usr/bin/time; do
  command -v "$t" >/dev/null || { echo "bench: $t is missing (apt-get install hyperfine facter virt-what time)" >&2; exit 1; }
done
cd "$HERE"
./chameleon facts --output json >/dev/null   # builds on first use and records the class-data archive
./chameleon facts --output json >/dev/null
OUT="$HERE/bench/results"
mkdir -p "$OUT"
REPORT="$OUT/startup-$(date -u +%Y%m%d).md"
{
  echo "# Start-up benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r);" \
       "java $(java -version 2>&1 | head -1 | cut -d'"' -f2); facter $(facter --version); virt-what $(virt-what --version 2>/dev/null || echo '?')"
  echo
  hyperfine --style basic --warmup 2 --runs "$RUNS" --export-markdown /dev/stdout \
    -n 'chameleon facts --output json' './chameleon facts --output json' \
    -n 'facter --json' 'facter --json' \
    -n 'virt-what' 'virt-what' 2>/dev/null | sed -n '/^|/p'
  echo
  echo "| command | peak RSS (MiB) |"
  echo "|---|---|"
  for c in './chameleon facts --output json' 'facter --json' 'virt-what'; do
    kb=$( { /usr/bin/time -v bash -c "exec $c >/dev/null" ; } 2>&1 | awk -F': ' '/Maximum resident set size/ {print $2}')
    printf '| `%s` | %.1f |\n' "$c" "$(echo "$kb / 1024" | bc -l)"
  done
} | tee "$REPORT"
echo "written: $REPORT" >&2
