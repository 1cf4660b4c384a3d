package dev.chameleon.sensors.platform;

import dev.chameleon.host.Command;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Container clues: the engine's marker files (in the {@code files} table), the {@code container=}
 * variable of PID 1 and /run/systemd/container, cgroup paths, overlay mounts, OpenVZ and
 * Linux-VServer context ids, and WSL / LX-brand kernels.
 */
public final class ContainerSignals {
    static final String ENVIRON = "/proc/1/environ";
    static final String SYSTEMD_CONTAINER = "/run/systemd/container";
    static final List<String> CGROUPS = List.of("/proc/1/cgroup", "/proc/self/cgroup");
    static final String MOUNTINFO = "/proc/self/mountinfo";
    static final String STATUS = "/proc/self/status";
    static final Command UNAME_SVM = Command.of("uname", "-svm");

    private ContainerSignals() {
    }

    public static void read(Probe p) {
        Clues c = p.clues();
        List<String> known = new ArrayList<>(p.tables().containerEnv().keySet());

        p.text(SYSTEMD_CONTAINER, "container.systemd").map(String::strip).filter(s -> !s.isEmpty()).ifPresent(v -> {
            c.containerSourcesSeen = true;
            c.add("container.systemd", v, SYSTEMD_CONTAINER, "container=" + containerName(p, v), 0.9);
        });

        var environ = p.read(ENVIRON);
        switch (environ.status()) {
            case PRESENT -> {
                c.containerSourcesSeen = true;
                String t = environ.text();
                Optional<String> v = ContainerParsers.containerVar(t, known);
                v.ifPresent(x -> c.add("container.environ", "container=" + x, ENVIRON, "container=" + containerName(p, x), 0.9));
                if (ContainerParsers.hasVar(t, "KUBERNETES_SERVICE_HOST")) {
                    c.add("container.environ", "KUBERNETES_SERVICE_HOST set", ENVIRON, "container=kubernetes", 0.7);
                }
            }
            case UNREADABLE -> c.note("container.environ", "unreadable: " + environ.error(), ENVIRON);
            default -> { }
        }

        for (String path : CGROUPS) {
            Optional<String> t = p.text(path, "cgroup");
            if (t.isEmpty()) {
                continue;
            }
            c.containerSourcesSeen = true;
            List<String> paths = ContainerParsers.cgroupPaths(t.get());
            boolean hit = false;
            for (Signatures.TextRule r : p.tables().cgroup()) {
                Match m = Match.parse(r.match());
                Optional<String> first = paths.stream().filter(m::test).findFirst();
                if (first.isPresent()) {
                    hit = true;
                    for (String s : r.supports()) {
                        c.add("cgroup", first.get(), path, s, r.weightOr(0.8));
                    }
                }
            }
            if (!hit && !paths.isEmpty()) {
                c.add("cgroup", summarize(paths), path, "container=none", 0.3);
            }
        }

        p.text(MOUNTINFO, "mountinfo").ifPresent(t -> {
            c.containerSourcesSeen = true;
            for (Signatures.TextRule r : p.tables().mountinfo()) {
                Match m = Match.parse(r.match());
                t.lines().filter(m::test).findFirst().ifPresent(line -> {
                    for (String s : r.supports()) {
                        c.add("mountinfo", line, MOUNTINFO, s, r.weightOr(0.6));
                    }
                });
            }
        });

        status(p);
        openvz(p);
        kernel(p);
    }

    static String containerName(Probe p, String envValue) {
        return p.tables().containerEnv().getOrDefault(envValue.strip(), "unknown");
    }

    static void status(Probe p) {
        Clues c = p.clues();
        Optional<String> t = p.text(STATUS, "status");
        if (t.isEmpty()) {
            return;
        }
        c.containerSourcesSeen = true;
        Map<String, String> f = ContainerParsers.statusFields(t.get());
        String env = f.get("envID");
        if (env != null && env.matches("\\d+")) {
            if (Long.parseLong(env) > 0) {
                c.add("openvz.envID", "envID: " + env, STATUS, "container=openvz", 0.85);
            } else {
                c.add("openvz.envID", "envID: 0 (OpenVZ hardware node)", STATUS, "container=none", 0.75);
            }
        }
        for (String key : List.of("VxID", "s_context")) {
            String v = f.get(key);
            if (v != null && v.matches("\\d+")) {
                if (Long.parseLong(v) > 0) {
                    c.add("vserver.context", key + ": " + v, STATUS, "container=vserver", 0.85);
                } else {
                    c.add("vserver.context", key + ": 0 (Linux-VServer host)", STATUS, "container=none", 0.5);
                }
                break;
            }
        }
    }

    static void openvz(Probe p) {
        Clues c = p.clues();
        boolean vz = p.root().isDirectory("/proc/vz");
        boolean bc = p.root().isDirectory("/proc/bc");
        if (bc) {
            c.containerSourcesSeen = true;
            c.add("openvz.proc", "/proc/bc present (OpenVZ hardware node)", "/proc/bc", "container=none", 0.7);
        } else if (vz) {
            c.containerSourcesSeen = true;
            c.add("openvz.proc", "/proc/vz present, /proc/bc absent", "/proc/vz", "container=openvz", 0.6);
        }
    }

    static void kernel(Probe p) {
        Clues c = p.clues();
        List<String[]> sources = new ArrayList<>();
        Optional<String> version = p.text("/proc/version", "kernel.version");
        version.ifPresent(t -> sources.add(new String[] {"/proc/version", t}));
        p.text("/proc/sys/kernel/osrelease", "kernel.osrelease").ifPresent(t -> sources.add(new String[] {"/proc/sys/kernel/osrelease", t}));
        // on the live machine /proc/version already holds what uname -svm prints: no spawn
        if (!(p.root().isLive() && version.isPresent())) {
            p.output(UNAME_SVM).ifPresent(t -> sources.add(new String[] {Probe.source(UNAME_SVM), t}));
        }
        if (!sources.isEmpty()) {
            c.containerSourcesSeen = true;
        }
        for (Signatures.TextRule r : p.tables().kernelRelease()) {
            Match m = Match.parse(r.match());
            for (String[] s : sources) {
                if (m.test(s[1])) {
                    for (String x : r.supports()) {
                        c.add("kernel.release", s[1].strip(), s[0], x, r.weightOr(0.8));
                    }
                    break;
                }
            }
        }
    }

    private static String summarize(List<String> paths) {
        List<String> distinct = paths.stream().distinct().toList();
        return distinct.size() == 1 ? "all " + paths.size() + " line(s): " + distinct.get(0)
                : String.join(", ", distinct);
    }
}
