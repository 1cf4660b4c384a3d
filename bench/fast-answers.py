#!/usr/bin/env python3
"""Whole-process wall time and peak memory of `chameleon facts`, `plan` and `detect`, cold and
with the agent running, interleaved with facter, virt-what and systemd-detect-virt (issue 13).

    bench/fast-answers.py [--rounds N] [--jar JAR] [--cold-only] [--out FILE]

Each round runs every command once, in turn (A B C ... A B C ...), so background load hits all
alike; every ratio is the median of the per-round ratios (paired), next to each command's median,
min and max wall time and its median peak RSS (the child's own ru_maxrss, from wait4). The first
round is a warm-up and is not counted. Every command's output goes to /dev/null; a command that
exits non-zero is reported (facter exits 1 in a container, where it cannot read /proc/1/environ).

Cold: no agent answers, so every command senses (and plan compiles its policies) in a new JVM.
Agent: `chameleon run --mode plan` is started on this machine, with the JVM options of the .deb's
systemd unit (chameleon.service) and a throw-away state folder
(plan mode changes nothing; the state folder, its socket and events are removed at the end), and
the same commands are given its socket (`--socket`, or `--state-dir` for plan, whose journal it
shares), so they ask it. `plan` with 10 and 1,000 policies: generated policies in a temp folder
(`--no-default-policies --no-system-policies --policies DIR`), each with a condition on the facts
and one sysctl setting. The agent's peak RSS (VmHWM) is read after its first pass and after
serving every round. The checked-CEL cache is a folder of the run (CHAMELEON_CEL_CACHE, unless set),
filled by the first, uncounted round, and removed with everything else at the end.

Commands are run as the launcher runs them (./chameleon, its JVM options and class archive), or
with --jar as `java <the launcher's options> -jar JAR` (to measure an older build the same way).
The report (markdown) goes to stdout and to --out (default bench/results/fast-answers-DATE.md),
with the load average before and after.
"""
import argparse, datetime, os, shutil, signal, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAUNCHER_OPTS = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -XX:-UsePerfData -Xlog:disable -Xlog:all=error:stderr".split()


KEYS = ["net.core.somaxconn", "net.core.netdev_max_backlog", "net.ipv4.tcp_max_syn_backlog", "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_time", "vm.swappiness", "vm.dirty_ratio", "vm.dirty_background_ratio",
        "vm.vfs_cache_pressure", "kernel.sched_autogroup_enabled"]


def value(i):
    """A value the key takes: 1..50, or 0/1 for kernel.sched_autogroup_enabled (the policy compiler checks each sysctl's range)."""
    return i % 2 if KEYS[i % 10] == "kernel.sched_autogroup_enabled" else 1 + i % 50


def policies(folder, n):
    """n policies; policy i sets key i % 10 at priority 1 + i // 10 (no two at one priority for one key)."""
    os.makedirs(folder, exist_ok=True)
    for i in range(n):
        with open(os.path.join(folder, f"p{i:04d}.yaml"), "w") as f:
            f.write(f"""apiVersion: chameleon/v1
kind: Policy
metadata: {{name: bench-{i}}}
spec:
  priority: {1 + i // 10}
  when: platform.hypervisor == "kvm" && memory.totalBytes > {i * 1024} && cpu.logicalCount >= {1 + i % 4}
  settings:
    - sysctl: {{key: {KEYS[i % 10]}, value: {value(i)}}}
""")
    return folder


def run(argv):
    """Wall seconds, peak RSS (KiB) and exit code of one run of argv."""
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, ru.ru_maxrss, p.returncode


def interleave(cmds, rounds):
    wall = {n: [] for n in cmds}
    rss = {n: [] for n in cmds}
    codes = {n: set() for n in cmds}
    for r in range(rounds + 1):
        for name, argv in cmds.items():
            w, m, c = run(argv)
            codes[name].add(c)
            if r:
                wall[name].append(w)
                rss[name].append(m)
    return wall, rss, codes


def table(title, wall, rss, codes, ratios):
    lines = [f"### {title}", "", "| command | median [ms] | min [ms] | max [ms] | median peak RSS [MiB] | exit |", "|---|---:|---:|---:|---:|---|"]
    for n in wall:
        lines.append(f"| `{n}` | {statistics.median(wall[n]) * 1000:.0f} | {min(wall[n]) * 1000:.0f} | {max(wall[n]) * 1000:.0f} "
                     f"| {statistics.median(rss[n]) / 1024:.1f} | {','.join(map(str, sorted(codes[n])))} |")
    lines += ["", "| ratio (median of per-round ratios) | value | goal |", "|---|---:|---|"]
    for label, a, b, goal in ratios:
        if a in wall and b in wall:
            r = statistics.median([x / y for x, y in zip(wall[a], wall[b])])
            lines.append(f"| {label} | {r:.2f} | {goal} |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--jar")
    ap.add_argument("--cold-only", action="store_true")
    ap.add_argument("--out")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="chameleon-bench-")
    os.environ.setdefault("CHAMELEON_CEL_CACHE", os.path.join(work, "cel"))  # removed at the end, as everything in work
    agent = None
    try:
        if a.jar:
            jar = os.path.abspath(a.jar)
            jsa = os.path.join(work, "bench.jsa")
            subprocess.run(["java", *LAUNCHER_OPTS, f"-XX:ArchiveClassesAtExit={jsa}", "-jar", jar, "facts", "-o", "json"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            ch = ["java", *LAUNCHER_OPTS, f"-XX:SharedArchiveFile={jsa}", "-Xshare:auto", "-jar", jar]
            label = f"java -jar {os.path.basename(jar)}"
        else:
            ch = [os.path.join(HERE, "chameleon")]
            subprocess.run([*ch, "--version"], stdout=subprocess.DEVNULL, check=True)  # builds on first use
            label = "./chameleon"
        p10 = policies(os.path.join(work, "p10"), 10)
        p1000 = policies(os.path.join(work, "p1000"), 1000)
        only = ["--no-default-policies", "--no-system-policies", "--policies"]
        peers = {"facter --json": ["facter", "--json"], "virt-what": ["virt-what"], "systemd-detect-virt": ["systemd-detect-virt"]}
        peers = {n: v for n, v in peers.items() if shutil.which(v[0])}
        load0 = open("/proc/loadavg").read().split()[:3]
        started = datetime.datetime.now(datetime.timezone.utc)
        cold = {
            "facts -o json": [*ch, "facts", "-o", "json"],
            "plan": [*ch, "plan"],
            "detect": [*ch, "detect"],
            "plan (10 policies)": [*ch, "plan", *only, p10],
            "plan (1,000 policies)": [*ch, "plan", *only, p1000],
            **peers,
        }
        report = [f"# Fast answers: `{label}` against facter, virt-what, systemd-detect-virt, {started:%Y-%m-%dT%H:%MZ}", "",
                  f"Machine: {os.cpu_count()} cores, kernel {os.uname().release}. Command: `bench/fast-answers.py --rounds {a.rounds}"
                  f"{' --jar ' + a.jar if a.jar else ''}{' --cold-only' if a.cold_only else ''}` "
                  f"({a.rounds} interleaved rounds after one warm-up round).", "",
                  f"Load average (1, 5, 15 min) before: {' '.join(load0)}", ""]
        w, r, c = interleave(cold, a.rounds)
        report.append(table("Cold (no agent answers)", w, r, c, [
            ("facts -o json / facter --json", "facts -o json", "facter --json", "≤ 0.4"),
            ("plan / facter --json", "plan", "facter --json", "≤ 0.6"),
            ("plan (1,000 policies) / plan (10 policies)", "plan (1,000 policies)", "plan (10 policies)", "≤ 1.2"),
            ("detect / virt-what", "detect", "virt-what", "(issue: 2.7 before)"),
            ("detect / systemd-detect-virt", "detect", "systemd-detect-virt", "-"),
        ]))
        report.append(f"Load average after the cold rounds: {' '.join(open('/proc/loadavg').read().split()[:3])}\n")
        if not a.cold_only:
            state = os.path.join(work, "state")
            sock = os.path.join(state, "agent.sock")
            log = open(os.path.join(work, "agent.log"), "w")
            # the agent as the .deb's unit starts it: its JVM options and MALLOC_ARENA_MAX (chameleon.service)
            unit = open(os.path.join(HERE, "chameleon-packaging", "src", "deb", "files", "chameleon.service")).read()
            unit_opts = next(l for l in unit.splitlines() if l.startswith('Environment="CHAMELEON_JAVA_OPTS='))
            unit_opts = unit_opts[len('Environment="CHAMELEON_JAVA_OPTS='):].rstrip('"').split()
            jar = a.jar or os.path.join(HERE, "chameleon-cli", "target", "chameleon.jar")
            agent = subprocess.Popen(["java", *LAUNCHER_OPTS, *unit_opts, "-jar", os.path.abspath(jar),
                                      "run", "--mode", "plan", "--state-dir", state, "--no-uevents", "--interval", "1h"],
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                     env={**os.environ, "MALLOC_ARENA_MAX": "2"})
            deadline = time.time() + 120
            while not os.path.exists(sock):
                if agent.poll() is not None or time.time() > deadline:
                    raise SystemExit("the agent did not start: " + open(os.path.join(work, "agent.log")).read())
                time.sleep(0.2)
            time.sleep(2)
            def hwm():
                with open(f"/proc/{agent.pid}/status") as f:
                    return int(next(l.split()[1] for l in f if l.startswith("VmHWM"))) / 1024
            hwm_before = hwm()
            served = {
                "facts -o json (agent)": [*ch, "facts", "-o", "json", "--socket", sock],
                "plan (agent)": [*ch, "plan", "--state-dir", state],
                "detect (agent)": [*ch, "detect", "--socket", sock],
                "status (agent)": [*ch, "status", "--socket", sock],
                **peers,
            }
            # each served command once before the rounds (the agent loads its answering code on the first
            # request); then each must be answered by the agent: a fallback prints a line on stderr
            for n, argv in served.items():
                if n.endswith("(agent)"):
                    subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    e = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True).stderr
                    if e.strip():
                        raise SystemExit(f"{n} did not get its answer from the agent: {e}")
            w, r, c = interleave(served, a.rounds)
            report.append(table("With the agent running (`chameleon run --mode plan`, built-in pack)", w, r, c, [
                ("facts -o json / facter --json", "facts -o json (agent)", "facter --json", "≤ 0.2"),
                ("plan / facter --json", "plan (agent)", "facter --json", "≤ 0.2"),
                ("detect / virt-what", "detect (agent)", "virt-what", "≤ 1.5"),
                ("detect / systemd-detect-virt", "detect (agent)", "systemd-detect-virt", "-"),
            ]))
            report.append(f"The agent (the unit's JVM options, MALLOC_ARENA_MAX=2), peak RSS (VmHWM): {hwm_before:.1f} MiB after its "
                          f"first pass, {hwm():.1f} MiB after serving every round (budget: 64 MiB)\n")
            report.append(f"Load average at the end: {' '.join(open('/proc/loadavg').read().split()[:3])}\n")
        text = "\n".join(report)
        print(text)
        out = a.out or os.path.join(HERE, "bench", "results", f"fast-answers-{started:%Y%m%d-%H%M}.md")
        with open(out, "w") as f:
            f.write(text)
        print(f"written: {out}", file=sys.stderr)
    finally:
        if agent is not None and agent.poll() is None:
            agent.send_signal(signal.SIGTERM)
            try:
                agent.wait(30)
            except subprocess.TimeoutExpired:
                agent.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
