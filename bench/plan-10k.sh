#!/usr/bin/env bash
# plan with 10,000 policies (issue 12's field trial: 20,876 policies took 23 s to plan):
# standalone (a fresh JVM parses and compiles all of them) against the same command answered
# by a running agent that compiled them once (issue 13). The agent runs in plan mode on a
# temporary state folder (it changes nothing) and is stopped at the end.
#   bench/plan-10k.sh [N=10000] [ROUNDS=5] [JAR=chameleon-cli/target/chameleon.jar]
set -euo pipefail
n=${1:-10000}; rounds=${2:-5}; jar=${3:-chameleon-cli/target/chameleon.jar}
[ -f "$jar" ] || { echo "plan-10k: no $jar; build it first (./mvnw -q -pl chameleon-cli -am package -DskipTests)" >&2; exit 2; }
work=$(mktemp -d); trap 'kill "$(cat "$work/agent.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$work"' EXIT
python3 - "$n" "$work/pol" <<'PY'
import os, sys
n, out = int(sys.argv[1]), sys.argv[2]
os.makedirs(out)
hv = ["kvm", "vmware", "hyperv", "xen", "qemu"]
conds = [lambda i: f'platform.hypervisor == "{hv[i % 5]}" && has(memory.totalBytes) && memory.totalBytes >= gib({i % 64})',
         lambda i: 'disks.exists(d, d.virtio && has(d.rotational) && !d.rotational) && platform.container == "none"',
         lambda i: f'has(cpu.logicalCount) && cpu.logicalCount > {i % 32}',
         lambda i: 'platform.cloud in ["aws", "gcp", "azure"] || has(kernel.modules) && "virtio_net" in kernel.modules',
         lambda i: 'platform.hypervisor != "none"']
docs = [f"apiVersion: chameleon/v1\nkind: Policy\nmetadata: {{name: bench-{i}}}\nspec:\n  priority: {i % 1000}\n"
        f"  when: '{conds[i % 5](i)}'\n  settings:\n    - sysctl: {{key: kernel.bench_p{i}, value: {i}}}\n" for i in range(n)]
for f in range(0, n, 1000):
    open(f"{out}/p{f // 1000}.yaml", "w").write("---\n".join(docs[f:f + 1000]))
PY
args=(--policies "$work/pol" --no-default-policies --state-dir "$work/state")
echo "# plan with $n policies, $(date -u +%FT%TZ), load: $(cut -d' ' -f1-3 /proc/loadavg)"
java -jar "$jar" run "${args[@]}" --interval 1h >"$work/agent.log" 2>&1 </dev/null &
echo $! >"$work/agent.pid"
for _ in $(seq 120); do grep -q '"event":"pass"\| pass at=' "$work/agent.log" 2>/dev/null && break; sleep 1; done
grep -q ' pass at=' "$work/agent.log" || { echo "plan-10k: the agent made no pass in 120 s" >&2; cat "$work/agent.log" >&2; exit 1; }
echo "agent: $(grep ' pass at=' "$work/agent.log" | head -1 | grep -o 'durationMillis=[0-9]*')"
for r in $(seq "$rounds"); do
  /usr/bin/time -f "standalone wall %e s, user %U s, peak %M KiB" java -jar "$jar" plan "${args[@]}" --standalone >"$work/a.out" 2>"$work/a.err"
  tail -n 1 "$work/a.err"
  /usr/bin/time -f "agent      wall %e s, user %U s, peak %M KiB" java -jar "$jar" plan "${args[@]}" >"$work/b.out" 2>"$work/b.err"
  tail -n 1 "$work/b.err"
  cmp -s "$work/a.out" "$work/b.out" || { echo "plan-10k: the agent's plan differs from the standalone one" >&2; diff "$work/a.out" "$work/b.out" | head >&2; exit 1; }
done
echo "outputs identical ($(wc -l <"$work/b.out") lines each round)"
