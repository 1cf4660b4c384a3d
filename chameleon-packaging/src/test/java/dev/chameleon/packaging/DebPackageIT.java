package dev.chameleon.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real .deb, installed, upgraded, removed and purged with the real {@code dpkg} into a
 * throwaway root (maintainer scripts run chrooted there, on a static busybox shell), and its
 * systemd unit checked by the real {@code systemd-analyze verify}. Missing tools fail the test:
 * {@code ./test} installs them.
 */
class DebPackageIT {
    private Path work;
    private Path root;

    @BeforeEach
    void setUp() throws IOException {
        work = Files.createTempDirectory("chameleon-deb-it");
        root = work.resolve("root");
    }

    @AfterEach
    void tearDown() throws IOException {
        if (work != null) {
            try (Stream<Path> s = Files.walk(work)) {
                s.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    @Test
    void installsUpgradesRemovesAndPurgesWithDpkg() throws Exception {
        requireRootAndTools("dpkg", "dpkg-deb", "mknod", "chroot", "ldd");
        Path deb = builtDeb();
        makeRoot();
        Path fakeJre = buildPackage("fake-jre", "1.0", Map.of(), "Provides: java17-runtime-headless\n");
        ok(dpkg("-i", fakeJre.toString()));

        // Install: files, modes, conffile, enabled offline through systemctl (no running systemd).
        Proc install = dpkg("-i", deb.toString());
        ok(install);
        assertThat(install.out()).doesNotContain("dependency problems");
        assertThat(root.resolve("usr/share/chameleon/chameleon.jar")).isRegularFile();
        assertThat(Files.getPosixFilePermissions(root.resolve("usr/bin/chameleon"))).contains(PosixFilePermission.OTHERS_EXECUTE);
        assertThat(root.resolve("lib/systemd/system/chameleon.service")).isRegularFile();
        // completion and man page, generated from the picocli model at build time
        assertThat(Files.readString(root.resolve("usr/share/bash-completion/completions/chameleon"))).contains("complete -F _complete_chameleon");
        assertThat(Files.readString(root.resolve("usr/share/zsh/vendor-completions/_chameleon"))).startsWith("#compdef chameleon");
        assertThat(root.resolve("usr/share/man/man1/chameleon.1.gz")).isNotEmptyFile();
        assertThat(Files.readString(root.resolve("etc/chameleon/agent.yaml"))).contains("mode: plan");
        assertThat(root.resolve("var/lib/chameleon")).isDirectory();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("var/lib/chameleon")))).isEqualTo("rwx------");
        assertThat(Files.readString(root.resolve("var/lib/dpkg/info/chameleon.conffiles")).strip()).isEqualTo("/etc/chameleon/agent.yaml");
        assertThat(systemctlLog()).contains("enable chameleon.service").doesNotContain("start");
        String version = dpkgDeb("-f", deb.toString(), "Version").out().strip();
        assertThat(status()).contains("Status: install ok installed").contains("Version: " + version);

        // The installed launcher runs the installed jar inside the root, on a Java runtime put
        // there (the one running this test, with its libraries). The root has no /proc, so the
        // dynamic linker cannot resolve $ORIGIN: LD_LIBRARY_PATH stands in for it.
        String javaHome = Path.of(System.getProperty("java.home")).toRealPath().toString();
        Path copy = work.resolve("copy-jre-into-root.sh");
        try (var in = DebPackageIT.class.getResourceAsStream("/copy-jre-into-root.sh")) {
            Files.copy(in, copy);
        }
        ok(Proc.run(List.of("sh", copy.toString(), javaHome, root.toString()), 120));
        // with the installed unit's environment: a JVM option this runtime does not know would stop the service
        Map<String, String> env = new java.util.HashMap<>(unitEnvironment(root.resolve("lib/systemd/system/chameleon.service")));
        assertThat(env).containsKeys("CHAMELEON_JAVA_OPTS", "MALLOC_ARENA_MAX");
        env.put("LD_LIBRARY_PATH", javaHome + "/lib:" + javaHome + "/lib/server");
        env.put("PATH", "/usr/bin:/bin");
        Proc run = Proc.run(List.of("chroot", root.toString(), "/usr/bin/chameleon", "--version"), 120, env);
        assertThat(run.code()).as(run.out()).isZero();
        assertThat(run.out()).contains("chameleon 0.1").doesNotContain("Unrecognized").doesNotContain("warning");

        // The operator edits the conffile and the agent writes its journal and a policy.
        Path conf = root.resolve("etc/chameleon/agent.yaml");
        Files.writeString(conf, Files.readString(conf).replace("mode: plan", "mode: apply"));
        Files.writeString(root.resolve("var/lib/chameleon/journal.jsonl"), "{\"changeset\":1}\n");
        Files.writeString(root.resolve("etc/chameleon/policies.d/mine.yaml"), "# operator's policy\n");

        // Upgrade to 0.1.1 (same shipped agent.yaml): the edit is kept without a question.
        Path v011 = rebuild(deb, "0.1.1", null);
        ok(dpkg("-i", v011.toString()));
        assertThat(status()).contains("Version: 0.1.1");
        assertThat(Files.readString(conf)).contains("mode: apply");
        assertThat(root.resolve("etc/chameleon/agent.yaml.dpkg-dist")).doesNotExist();
        assertThat(root.resolve("var/lib/chameleon/journal.jsonl")).hasContent("{\"changeset\":1}");

        // Upgrade to 0.1.2 whose shipped agent.yaml changed too: the operator's file wins
        // (--force-confold, as unattended image builds do), the new one lands beside it.
        Path v012 = rebuild(deb, "0.1.2", "# a new option in 0.1.2\n");
        ok(dpkg("--force-confold", "-i", v012.toString()));
        assertThat(status()).contains("Version: 0.1.2");
        assertThat(Files.readString(conf)).contains("mode: apply").doesNotContain("new option");
        assertThat(Files.readString(root.resolve("etc/chameleon/agent.yaml.dpkg-dist"))).contains("new option");
        Files.delete(root.resolve("etc/chameleon/agent.yaml.dpkg-dist"));

        // Remove: program gone, unit disabled, journal and configuration kept.
        ok(dpkg("-r", "chameleon"));
        assertThat(root.resolve("usr/share/chameleon/chameleon.jar")).doesNotExist();
        assertThat(root.resolve("usr/bin/chameleon")).doesNotExist();
        assertThat(root.resolve("lib/systemd/system/chameleon.service")).doesNotExist();
        assertThat(root.resolve("usr/share/man/man1/chameleon.1.gz")).doesNotExist();
        assertThat(root.resolve("var/lib/chameleon/journal.jsonl")).hasContent("{\"changeset\":1}");
        assertThat(Files.readString(conf)).contains("mode: apply");
        assertThat(systemctlLog()).contains("disable chameleon.service");
        assertThat(status()).contains("Status: deinstall ok config-files");

        // Purge: journal, logs and configuration gone; the operator's own policy stays.
        ok(dpkg("-P", "chameleon"));
        assertThat(root.resolve("var/lib/chameleon")).doesNotExist();
        assertThat(root.resolve("var/log/chameleon")).doesNotExist();
        assertThat(conf).doesNotExist();
        assertThat(root.resolve("etc/chameleon/policies.d/mine.yaml")).exists();
        assertThat(status()).doesNotContain("Package: chameleon\n");
    }

    @Test
    void unitPassesSystemdAnalyzeVerify() throws Exception {
        requireRootAndTools("systemd-analyze");
        Path unit = Path.of(System.getProperty("chameleon.unit", "src/deb/files/chameleon.service"));
        // A throwaway root with the systemd units the unit refers to (sysinit.target, ...), the
        // unit, and its commands present and executable: verify resolves them inside --root.
        Path units = root.resolve("usr/lib/systemd/system");
        Files.createDirectories(units);
        for (String dir : List.of("/lib/systemd/system", "/usr/lib/systemd/system")) {
            Path d = Path.of(dir);
            if (!Files.isDirectory(d)) continue;
            try (Stream<Path> s = Files.list(d)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    Path to = units.resolve(p.getFileName().toString());
                    if (Files.isRegularFile(p) && !Files.exists(to)) Files.copy(p, to);
                }
            }
        }
        assertThat(units.resolve("sysinit.target")).as("the system's units").exists();
        Files.copy(unit, units.resolve("chameleon.service"));
        Path bin = Files.createDirectories(root.resolve("usr/bin"));
        stub(bin.resolve("chameleon"));
        Proc missing = Proc.run(List.of("systemd-analyze", "verify", "--man=no", "--root=" + root, "chameleon.service"), 60);
        assertThat(missing.code()).as("a missing command must fail verify: " + missing.out()).isNotZero();
        stub(bin.resolve("kill"));

        Proc verify = Proc.run(List.of("systemd-analyze", "verify", "--man=no", "--root=" + root, "chameleon.service"), 60);
        assertThat(verify.code()).as(verify.out()).isZero();
        assertThat(verify.out()).as("no warnings").isBlank();
        String text = Files.readString(unit);
        assertThat(text).contains("ExecStart=/usr/bin/chameleon run --config /etc/chameleon/agent.yaml")
                .contains("Restart=on-failure").contains("MemoryMax=").contains("CPUQuota=");
        for (String off : List.of("MemoryDenyWriteExecute=", "ProtectKernelTunables=", "ProtectKernelModules=",
                "NoNewPrivileges=", "ProtectSystem=", "ProtectHome=", "PrivateTmp=")) {
            assertThat(text.lines().filter(l -> l.startsWith(off))).as(off + " would stop the agent doing its job").isEmpty();
        }
    }

    /**
     * The unit's memory limits fit the agent's budget (64 MiB resident at its peak, DESIGN.md):
     * MemoryHigh above the budget (cgroup memory also counts page cache), MemoryMax above
     * MemoryHigh, and the JVM's own caps (heap, metaspace, code cache, direct buffers) plus about
     * 24 MiB of JVM libraries under MemoryMax, so that a runaway agent stops with the JVM's
     * OutOfMemoryError (and exits, to be restarted) before the cgroup kills it mid-write.
     */
    @Test
    void unitMemoryLimitsAreConsistentWithTheBudget() throws IOException {
        Path unit = Path.of(System.getProperty("chameleon.unit", "src/deb/files/chameleon.service"));
        String text = Files.readString(unit);
        long high = mib(setting(text, "MemoryHigh"));
        long max = mib(setting(text, "MemoryMax"));
        assertThat(high).as("MemoryHigh above the 64 MiB budget").isGreaterThan(64);
        assertThat(max).as("MemoryMax above MemoryHigh").isGreaterThan(high);
        String opts = unitEnvironment(unit).get("CHAMELEON_JAVA_OPTS");
        assertThat(opts).as("CHAMELEON_JAVA_OPTS").isNotNull().contains("-XX:+ExitOnOutOfMemoryError");
        long caps = mib(option(opts, "-Xmx")) + mib(option(opts, "-XX:MaxMetaspaceSize=")) + mib(option(opts, "-XX:ReservedCodeCacheSize="))
                + mib(option(opts, "-XX:MaxDirectMemorySize="));
        assertThat(caps + 24).as("the JVM's caps (" + caps + " MiB) and its libraries under MemoryMax").isLessThanOrEqualTo(max);
    }

    /** The Environment= assignments of a unit, NAME → VALUE (quotes removed). */
    static Map<String, String> unitEnvironment(Path unit) throws IOException {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        for (String line : Files.readAllLines(unit)) {
            if (line.startsWith("Environment=")) {
                String v = line.substring("Environment=".length());
                if (v.startsWith("\"") && v.endsWith("\"")) {
                    v = v.substring(1, v.length() - 1);
                }
                int eq = v.indexOf('=');
                env.put(v.substring(0, eq), v.substring(eq + 1));
            }
        }
        return env;
    }

    private static String setting(String unit, String name) {
        return unit.lines().filter(l -> l.startsWith(name + "=")).map(l -> l.substring(name.length() + 1).strip()).findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + "= in the unit"));
    }

    private static String option(String opts, String prefix) {
        return java.util.Arrays.stream(opts.split("\\s+")).filter(o -> o.startsWith(prefix)).map(o -> o.substring(prefix.length()))
                .findFirst().orElseThrow(() -> new AssertionError("no " + prefix + " in " + opts));
    }

    /** 96M, 128m, 16384k, 1g → MiB. */
    private static long mib(String size) {
        String s = size.strip().toLowerCase(java.util.Locale.ROOT);
        long n = Long.parseLong(s.replaceAll("[kmg]$", ""));
        return switch (s.charAt(s.length() - 1)) {
            case 'k' -> n / 1024;
            case 'g' -> n * 1024;
            case 'm' -> n;
            default -> n / (1024 * 1024);
        };
    }

    // --- helpers -----------------------------------------------------------------------------

    private static void requireRootAndTools(String... tools) throws Exception {
        for (String t : tools) {
            Proc p = Proc.run(List.of("sh", "-c", "command -v " + t), 10);
            assertThat(p.code()).as(t + " is missing: ./test installs it (apt-get install dpkg systemd coreutils busybox-static)").isZero();
        }
        Proc id = Proc.run(List.of("id", "-u"), 10);
        assertThat(id.out().strip()).as("dpkg into a throwaway root runs maintainer scripts under chroot: needs root").isEqualTo("0");
    }

    private static Path builtDeb() {
        String deb = System.getProperty("chameleon.deb");
        assertThat(deb).as("system property chameleon.deb (run through 'mvn verify')").isNotNull();
        assertThat(Path.of(deb)).as("the built package").isRegularFile();
        return Path.of(deb);
    }

    /** A minimal root: dpkg's database, a static busybox for the maintainer scripts, /dev/null, a systemctl that logs. */
    private void makeRoot() throws Exception {
        Path busybox = Stream.of("/bin/busybox", "/usr/bin/busybox").map(Path::of).filter(Files::isRegularFile).findFirst()
                .orElseThrow(() -> new AssertionError("busybox is missing: ./test installs busybox-static"));
        Path dpkgDir = Files.createDirectories(root.resolve("var/lib/dpkg"));
        Files.createDirectories(dpkgDir.resolve("info"));
        Files.createDirectories(dpkgDir.resolve("updates"));
        Files.createFile(dpkgDir.resolve("status"));
        Files.createFile(dpkgDir.resolve("available"));
        for (String d : List.of("bin", "usr/bin", "sbin", "usr/sbin", "tmp", "etc/systemd/system", "dev")) {
            Files.createDirectories(root.resolve(d));
        }
        Path bb = root.resolve("bin/busybox");
        Files.copy(busybox, bb);
        for (String a : List.of("sh", "rm", "mkdir", "rmdir", "ln", "chmod", "cat", "echo")) {
            Files.createSymbolicLink(root.resolve("bin").resolve(a), Path.of("busybox"));
        }
        ok(Proc.run(List.of("mknod", "-m", "666", root.resolve("dev/null").toString(), "c", "1", "3"), 10));
        Path systemctl = root.resolve("bin/systemctl");
        Files.writeString(systemctl, "#!/bin/sh\necho \"$*\" >> /tmp/systemctl.log\n");
        Files.setPosixFilePermissions(systemctl, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private String systemctlLog() throws IOException {
        Path log = root.resolve("tmp/systemctl.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private String status() throws IOException {
        return Files.readString(root.resolve("var/lib/dpkg/status"));
    }

    /** The built package again, as another version; {@code confAppend} changes the shipped agent.yaml. */
    private Path rebuild(Path deb, String version, String confAppend) throws Exception {
        Path tree = work.resolve("tree-" + version);
        ok(dpkgDeb("-R", deb.toString(), tree.toString()));
        Path control = tree.resolve("DEBIAN/control");
        Files.writeString(control, Files.readString(control).replaceAll("(?m)^Version: .*$", "Version: " + version));
        if (confAppend != null) {
            Path conf = tree.resolve("etc/chameleon/agent.yaml");
            Files.writeString(conf, Files.readString(conf) + confAppend);
            Path md5 = tree.resolve("DEBIAN/md5sums");
            Proc sum = Proc.run(List.of("md5sum", "etc/chameleon/agent.yaml"), 10, Map.of(), tree);
            ok(sum);
            Files.writeString(md5, Files.readString(md5).replaceAll("(?m)^\\S+  etc/chameleon/agent.yaml\\n", "") + sum.out());
        }
        Path out = work.resolve("chameleon_" + version + "_all.deb");
        ok(dpkgDeb("--root-owner-group", "-b", tree.toString(), out.toString()));
        return out;
    }

    private Path buildPackage(String name, String version, Map<String, String> files, String extraControl) throws Exception {
        Path tree = work.resolve("pkg-" + name);
        Files.createDirectories(tree.resolve("DEBIAN"));
        Files.writeString(tree.resolve("DEBIAN/control"), "Package: " + name + "\nVersion: " + version
                + "\nArchitecture: all\nMaintainer: test <test@localhost>\n" + extraControl
                + "Description: stands in for a Java runtime in the throwaway root\n");
        Path out = work.resolve(name + ".deb");
        ok(dpkgDeb("--root-owner-group", "-b", tree.toString(), out.toString()));
        return out;
    }

    private Proc dpkg(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("dpkg", "--root=" + root, "--force-unsafe-io", "--no-debsig"));
        argv.addAll(List.of(args));
        return Proc.run(argv, 120);
    }

    private static Proc dpkgDeb(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("dpkg-deb"));
        argv.addAll(List.of(args));
        return Proc.run(argv, 120);
    }

    private static void stub(Path p) throws IOException {
        Files.writeString(p, "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static void ok(Proc p) {
        assertThat(p.code()).as(p.out()).isZero();
    }

    record Proc(int code, String out) {
        static Proc run(List<String> argv, long timeoutSeconds) throws IOException, InterruptedException {
            return run(argv, timeoutSeconds, Map.of(), null);
        }

        static Proc run(List<String> argv, long timeoutSeconds, Map<String, String> env) throws IOException, InterruptedException {
            return run(argv, timeoutSeconds, env, null);
        }

        static Proc run(List<String> argv, long timeoutSeconds, Map<String, String> env, Path dir)
                throws IOException, InterruptedException {
            // output to a file, not a pipe read before waiting: the wait below is then bounded even
            // when the child (or a grandchild that keeps the output open) never ends
            Path log = Files.createTempFile("chameleon-proc", ".out");
            try {
                ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile());
                pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                pb.environment().putAll(env);
                if (dir != null) pb.directory(dir.toFile());
                Process p = pb.start();
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                    throw new AssertionError("timed out after " + timeoutSeconds + " s: " + argv + "\n"
                            + Files.readString(log, StandardCharsets.UTF_8));
                }
                return new Proc(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(log);
            }
        }
    }
}
