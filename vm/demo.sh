#!/usr/bin/env bash
# ./chameleon demo SCENARIO | --list   (the launcher hands "demo" to this script)
#
# Boots one of the VM suite's scenarios (chameleon-cli/src/test/resources/vm/scenarios/NAME.yaml)
# under QEMU with the real agent inside and shows live what it sees and does; exits 0 when the
# scenario's expectations held, 1 when they did not, 2 for a bad command line. Builds the agent and
# the test harness first when their sources are newer (about a minute), and the guest image when
# its inputs changed (vm/build-guest.sh; cached under /var/cache/chameleon-vm, or
# ~/.cache/chameleon-vm when that is not writable). Needs qemu-system-x86 and a JDK 17.
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
MODULE="$HERE/chameleon-cli"              # the module that builds chameleon.jar and holds the VM harness
JAR="$MODULE/target/chameleon.jar"
CLASSES="$MODULE/target/test-classes"
SCENARIOS="$MODULE/src/test/resources/vm/scenarios"

if [ "${1:-}" = --list ]; then   # straight from the files: no build needed
  for f in "$SCENARIOS"/*.yaml; do
    printf '%-13s %s\n' "$(basename "$f" .yaml)" "$(sed -n 's/^description: *//p' "$f" | head -n 1)"
  done
  exit 0
fi
if [ $# -ne 1 ] || [ "${1#-}" != "$1" ]; then
  echo "usage: ./chameleon demo SCENARIO    boot the scenario's guest and show what the agent does" >&2
  echo "       ./chameleon demo --list      name the scenarios" >&2
  [ "${1:-}" = --help ] || [ "${1:-}" = -h ] && exit 0
  exit 2
fi
if [ ! -f "$SCENARIOS/$1.yaml" ]; then
  echo "demo: no scenario '$1'; the scenarios are: $(cd "$SCENARIOS" && ls *.yaml | sed 's/\.yaml$//' | paste -sd' ' -)" >&2
  exit 2
fi
command -v qemu-system-x86_64 >/dev/null || { echo "demo: qemu-system-x86_64 is missing (apt-get install qemu-system-x86)" >&2; exit 1; }

stale() {
  [ ! -f "$JAR" ] || [ ! -d "$CLASSES" ] && return 0
  [ -n "$(find "$HERE/pom.xml" "$HERE"/chameleon-*/pom.xml "$HERE"/chameleon-*/src/main "$MODULE/src/test" \
          -newer "$JAR" -print -quit 2>/dev/null)" ]
}
if stale; then
  echo "demo: building the agent and the VM harness (sources changed; about a minute)..." >&2
  LOG="$(mktemp -t chameleon-demo-build.XXXXXX)"
  if ! (cd "$HERE" && ./mvnw -q -B -pl "$(basename "$MODULE")" -am -DskipTests package) >"$LOG" 2>&1; then
    cat "$LOG" >&2
    echo "demo: the build failed; the log above says why (kept in $LOG)" >&2
    exit 1
  fi
  rm -f "$LOG"
  touch "$JAR"
fi
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
exec "$JAVA" -Dchameleon.jar="$JAR" -Dchameleon.repo="$HERE" -cp "$CLASSES:$JAR" dev.chameleon.cli.vm.VmDemo "$1"
