#!/usr/bin/env python3
"""Interleaved A/B timing of `facts --output json` from several agent jars.

    bench/interleaved.py ROUNDS NAME=JAR [NAME=JAR...]

Each round runs every variant once, in turn, so background load (other builds on a shared
machine) hits all variants alike; reports the median wall time and the median CPU time
(user+sys of the child, less sensitive to contention than wall time). Each jar uses its own
dynamic CDS archive (JAR.jsa, recorded first) and the launcher's JVM options.
"""
import os, resource, statistics, subprocess, sys, time

OPTS = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -XX:-UsePerfData -Xlog:disable -Xlog:all=error:stderr".split()
rounds = int(sys.argv[1])
variants = [a.split("=", 1) for a in sys.argv[2:]]
cmds = {}
for name, jar in variants:
    jsa = jar[:-4] + ".jsa"
    if os.path.exists(jsa):
        os.remove(jsa)
    subprocess.run(["java", *OPTS, f"-XX:ArchiveClassesAtExit={jsa}", "-jar", jar, "facts", "--output", "json"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cmds[name] = ["java", *OPTS, f"-XX:SharedArchiveFile={jsa}", "-Xshare:auto", "-jar", jar, "facts", "--output", "json"]
wall = {n: [] for n in cmds}
cpu = {n: [] for n in cmds}
for r in range(rounds + 1):
    for name, cmd in cmds.items():
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        w = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if r == 0:
            continue  # warm-up round
        wall[name].append(w * 1000)
        cpu[name].append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
print(f"| variant | median wall [ms] | min wall [ms] | median CPU user+sys [ms] |")
print("|---|---:|---:|---:|")
for name in cmds:
    print(f"| {name} | {statistics.median(wall[name]):.0f} | {min(wall[name]):.0f} | {statistics.median(cpu[name]):.0f} |")
