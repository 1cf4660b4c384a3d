package dev.chameleon.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cel.common.types.CelType;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.types.StructType;
import dev.chameleon.host.CannedCommandRunner;
import dev.chameleon.host.Host;
import dev.chameleon.host.SysRoot;
import dev.chameleon.policy.FactSchema;
import dev.chameleon.sensors.SensorSuite;
import dev.chameleon.sensors.platform.MetadataProbe;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fact schema (chameleon-policy's {@code facts.yaml}, what CEL conditions are type-checked
 * against) and the sensor suite (what {@code chameleon facts} reports) describe the same tree.
 *
 * <p>The real {@link SensorSuite} runs over every captured machine in
 * {@code chameleon-sensors/src/test/machines}, a handful of platform fixtures, and one synthetic
 * tree built here for what the captures cannot hold (running applications, tools on the PATH, an
 * NVIDIA GPU with MIG, an SR-IOV NIC with a link, AppArmor profiles, Secure Boot, the cloud
 * metadata service played by a local HTTP server). Then:
 * <ul>
 *   <li>every fact path produced is declared in the schema, with a compatible type (long ↔ int,
 *       double, bool, string, lists and maps element by element, objects field by field);</li>
 *   <li>every path the schema declares is produced somewhere, or is in {@link #NOT_PRODUCED}
 *       with the reason.</li>
 * </ul>
 */
@SuppressWarnings("unchecked")
class FactSchemaMatchesSensorsTest {
    /** Platform fixtures (under {@code ${chameleon.fixtures}/platform}) picked for variety. */
    static final List<String> FIXTURES = List.of(
            "virt-what-esx4.1",                        // VMware, the plan check of the brief
            "virt-what-hyperv",                        // Hyper-V
            "virt-what-docker",                        // a container
            "salt-xen-pv-domu-sysbus",                 // Xen PV
            "ohai-cpu-aarch64-graviton2",              // arm64 cpuinfo
            "ohai-cpu-x86-host-vuln",                  // bare metal, vulnerabilities
            "util-linux-lscpu-x86_64-dell_e4310");     // cpufreq: frequency.{min,max,current}MHz, governor, driver

    /**
     * Schema paths (with everything under them) that no machine here produces, each with why.
     * Keep it short: a path here is one the test cannot check against a sensor.
     */
    static final Map<String, String> NOT_PRODUCED = Map.of(
            // nothing: every declared fact is produced by a capture, a fixture or the synthetic tree below.
            // Add entries as "path" -> "why" (e.g. facts of hardware none of them has).
    );

    @TempDir
    Path tmp;

    @Test
    void everyProducedFactIsDeclaredAndEveryDeclaredFactIsProduced() throws Exception {
        FactSchema schema = FactSchema.standard();
        Map<String, Map<String, Object>> machines = new LinkedHashMap<>();
        Path captured = repo().resolve("chameleon-sensors/src/test/machines");
        try (var dirs = Files.list(captured)) {
            for (Path m : dirs.filter(Files::isDirectory).sorted().toList()) {
                machines.put("captured " + m.getFileName(), SensorSuite.standard().collect(Host.fixture(m)).asMap());
            }
        }
        assertThat(machines).as("captured machines in " + captured).hasSizeGreaterThanOrEqualTo(5);
        Path fixtures = Path.of(System.getProperty("chameleon.fixtures", repo().resolve("../shared/fixtures").toString()), "platform");
        for (String c : FIXTURES) {
            Path d = fixtures.resolve(c);
            assertThat(d.resolve("root")).as("fixture " + c).isDirectory();
            Host host = Files.isDirectory(d.resolve("commands")) ? Host.fixture(d) : Host.forOptions(d.resolve("root"), null);
            machines.put("fixture " + c, SensorSuite.standard().collect(host).asMap());
        }
        Path synthetic = synthetic(tmp.resolve("synthetic"));
        Host host = new Host(new SysRoot(synthetic.resolve("root")), new CannedCommandRunner(synthetic.resolve("commands")));
        machines.put("synthetic", SensorSuite.standard().collect(host).asMap());
        machines.put("host sampled for 16 minutes", sampledHost(tmp.resolve("sampled")));
        HttpServer server = metadataServer();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort();
            // the probe's own limit is 500 ms a request; a loaded build machine can take longer to answer on loopback
            Duration patient = Duration.ofSeconds(10);
            machines.put("synthetic + metadata (aws)", SensorSuite.standard(new MetadataProbe.Options(true, url + "/aws", patient))
                    .collect(host).asMap());
            machines.put("synthetic + metadata (none)", SensorSuite.standard(new MetadataProbe.Options(true, url + "/nothing", patient))
                    .collect(host).asMap());
        } finally {
            server.stop(0);
        }

        List<String> errors = new ArrayList<>();
        TreeSet<String> produced = new TreeSet<>();
        for (var m : machines.entrySet()) {
            Map<String, Object> sensors = (Map<String, Object>) ((Map<String, Object>) m.getValue().get("meta")).get("sensors");
            sensors.forEach((name, st) -> assertThat(((Map<String, Object>) st).get("status")).as(m.getKey() + " sensor " + name)
                    .isEqualTo("ok"));
            for (var top : m.getValue().entrySet()) {
                CelType t = schema.variables().get(top.getKey());
                if (t == null) {
                    errors.add(m.getKey() + ": " + top.getKey() + " is produced but not declared in the schema");
                } else {
                    check(m.getKey(), top.getKey(), top.getValue(), t, produced, errors);
                }
            }
        }
        assertThat(errors).as("facts the sensors produce that the schema does not declare as they are").isEmpty();

        TreeSet<String> declared = new TreeSet<>();
        schema.variables().forEach((name, t) -> declare(name, t, declared));
        List<String> missing = declared.stream().filter(p -> !produced.contains(p) && allowedBy(p) == null).toList();
        assertThat(missing).as("schema facts no sensor produced on any machine here (fix the name, or list the path in "
                + "NOT_PRODUCED with the reason)").isEmpty();
        List<String> stale = NOT_PRODUCED.keySet().stream().filter(p -> produced.stream().anyMatch(q -> q.equals(p) || q.startsWith(p + ".")
                || q.startsWith(p + "[]") || q.startsWith(p + "{}"))).toList();
        assertThat(stale).as("NOT_PRODUCED entries that are produced after all: remove them").isEmpty();
        assertThat(NOT_PRODUCED.keySet()).as("NOT_PRODUCED entries the schema does not declare").allMatch(declared::contains);
    }

    /**
     * The {@code host} facts that need the daemon's samples (deltas, windowed averages) and a
     * balloon with a target: the host sensor on a fake clock, collected once a minute for 16
     * minutes with one {@link dev.chameleon.sensors.FactCache}, as the daemon's passes do, over
     * the captured {@code /proc} of a live guest (chameleon-sensors' host-samples) and a VMware
     * balloon's debugfs file.
     */
    private static Map<String, Object> sampledHost(Path dir) throws IOException {
        Path capture = repo().resolve("chameleon-sensors/src/test/resources/host-samples/fc-vm-6.18");
        java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong();
        SensorSuite suite = new SensorSuite(List.of(new dev.chameleon.sensors.HostSensor(clock::get)), Duration.ofSeconds(20));
        dev.chameleon.sensors.FactCache cache = new dev.chameleon.sensors.FactCache();
        Map<String, Object> last = null;
        for (int minute = 0; minute <= 16; minute++) {
            Path root = dir.resolve("m" + minute);
            for (String f : List.of("stat", "diskstats", "meminfo", "pressure/cpu", "pressure/memory", "pressure/io")) {
                Path to = root.resolve("proc/" + f);
                Files.createDirectories(to.getParent());
                Files.copy(capture.resolve((minute % 2 == 0 ? "t0" : "t1") + "/proc/" + f), to);
            }
            if (minute % 2 == 0) {
                // counters only grow: the even minutes read the later capture's /proc/stat with every count doubled
                Files.writeString(root.resolve("proc/stat"), doubled(Files.readString(capture.resolve("t1/proc/stat")), minute));
                Files.writeString(root.resolve("proc/diskstats"), doubled(Files.readString(capture.resolve("t1/proc/diskstats")), minute));
            } else {
                Files.writeString(root.resolve("proc/stat"), doubled(Files.readString(capture.resolve("t0/proc/stat")), minute));
                Files.writeString(root.resolve("proc/diskstats"), doubled(Files.readString(capture.resolve("t0/proc/diskstats")), minute));
            }
            clock.set(minute * 60_000_000_000L);
            last = suite.collect(Host.forOptions(root, null), cache).asMap();
        }
        Path vmw = dir.resolve("vmw");
        Files.createDirectories(vmw.resolve("proc"));
        Files.writeString(vmw.resolve("proc/meminfo"), "MemTotal:  4194304 kB\nMemAvailable:  1000 kB\n");
        Files.createDirectories(vmw.resolve("sys/kernel/debug"));
        Files.writeString(vmw.resolve("sys/kernel/debug/vmmemctl"), "target:  262144 pages\ncurrent:  131072 pages\n");
        Map<String, Object> balloon = suite.collect(Host.forOptions(vmw, null)).asMap();
        Map<String, Object> out = new LinkedHashMap<>(last);
        Map<String, Object> host = new LinkedHashMap<>((Map<String, Object>) last.get("host"));
        host.put("balloon", ((Map<String, Object>) balloon.get("host")).get("balloon"));
        out.put("host", host);
        return out;
    }

    /** Every number after the first word of each line ({@code cpu}, a disk's name) times {@code minute + 1}, so later samples count more. */
    private static String doubled(String text, int minute) {
        StringBuilder b = new StringBuilder();
        for (String line : text.split("\n")) {
            String[] w = line.trim().split("\\s+");
            for (int i = 0; i < w.length; i++) {
                b.append(i == 0 ? "" : " ").append(w[i].matches("\\d+") && i > (line.trim().startsWith("cpu") ? 0 : 2)
                        ? String.valueOf(Long.parseLong(w[i]) * (minute + 1)) : w[i]);
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** Checks {@code value} against {@code type}, recording the paths it produces ({@code a.b}, {@code a[]}, {@code a{}}). */
    private static void check(String machine, String path, Object value, CelType type, TreeSet<String> produced, List<String> errors) {
        produced.add(path);
        String bad = machine + ": " + path + " is " + describe(value) + " but the schema says " + type.name();
        if (type.equals(SimpleType.DYN)) {
            return;
        } else if (type.equals(SimpleType.STRING)) {
            if (!(value instanceof String)) {
                errors.add(bad);
            }
        } else if (type.equals(SimpleType.INT)) {
            if (!(value instanceof Long || value instanceof Integer)) {
                errors.add(bad);
            }
        } else if (type.equals(SimpleType.DOUBLE)) {
            if (!(value instanceof Double)) {
                errors.add(bad);
            }
        } else if (type.equals(SimpleType.BOOL)) {
            if (!(value instanceof Boolean)) {
                errors.add(bad);
            }
        } else if (type instanceof ListType l) {
            if (value instanceof List<?> list) {
                list.forEach(e -> check(machine, path + "[]", e, l.elemType(), produced, errors));
            } else {
                errors.add(bad);
            }
        } else if (type instanceof MapType mt) {
            if (value instanceof Map<?, ?> map) {
                map.values().forEach(v -> check(machine, path + "{}", v, mt.valueType(), produced, errors));
            } else {
                errors.add(bad);
            }
        } else if (type instanceof StructType st) {
            if (value instanceof Map<?, ?> map) {
                for (var e : map.entrySet()) {
                    String key = String.valueOf(e.getKey());
                    var field = st.findField(key);
                    if (field.isEmpty()) {
                        errors.add(machine + ": " + path + "." + key + " (" + describe(e.getValue()) + ") is produced but "
                                + st.name().substring("chameleon.".length()) + " has no field '" + key + "'");
                    } else {
                        check(machine, path + "." + key, e.getValue(), field.get().type(), produced, errors);
                    }
                }
            } else {
                errors.add(bad);
            }
        } else {
            errors.add(machine + ": " + path + ": unexpected schema type " + type.name());
        }
    }

    /** Every path the schema declares, in the notation of {@link #check}; {@code dyn} values are not descended into. */
    private static void declare(String path, CelType type, TreeSet<String> out) {
        out.add(path);
        if (type instanceof ListType l) {
            declare(path + "[]", l.elemType(), out);
        } else if (type instanceof MapType m && !m.valueType().equals(SimpleType.DYN)) {
            declare(path + "{}", m.valueType(), out);
        } else if (type instanceof StructType st) {
            for (String f : st.fieldNames()) {
                declare(path + "." + f, st.findField(f).orElseThrow().type(), out);
            }
        }
    }

    /** The {@link #NOT_PRODUCED} entry covering a path (itself or an ancestor), or null. */
    private static String allowedBy(String path) {
        for (String p : NOT_PRODUCED.keySet()) {
            if (path.equals(p) || path.startsWith(p + ".") || path.startsWith(p + "[]") || path.startsWith(p + "{}")) {
                return p;
            }
        }
        return null;
    }

    private static String describe(Object v) {
        String text = String.valueOf(v);
        return (v == null ? "null" : v.getClass().getSimpleName()) + " " + (text.length() > 60 ? text.substring(0, 60) + "…" : text);
    }

    private static Path repo() {
        Path here = Path.of("").toAbsolutePath();
        if (Files.isDirectory(here.resolve("chameleon-sensors"))) {
            return here;
        }
        return Path.of(System.getProperty("chameleon.repo", here.getParent().toString()));
    }

    /**
     * What the captures cannot hold, built as sysfs/procfs files in {@code dir/root} and canned
     * command output in {@code dir/commands}, laid out as the sensors' own unit tests lay them out.
     */
    static Path synthetic(Path dir) throws IOException {
        Tree t = new Tree(dir);
        // applications: PostgreSQL with a listening port and a systemd unit, Kafka (a main class),
        // a java -jar service, an Oracle instance (SID)
        t.proc(1, "systemd", 0, "/sbin/init\0");
        t.proc(700, "postgres", 1, "/usr/lib/postgresql/15/bin/postgres\0-D\0/var/lib/postgresql/15/main\0");
        t.proc(701, "postgres", 700, "postgres: checkpointer\0");
        t.file("/proc/700/net/tcp", """
                  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
                   0: 00000000:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   108        0 41001 1 0000000000000000 100 0 0 10 0
                """)
                .file("/proc/700/cgroup", "0::/system.slice/postgresql.service\n")
                .link("/proc/700/fd/3", "socket:[41001]");
        t.proc(900, "java", 1, "/usr/bin/java\0-Xms1g\0-cp\0/opt/kafka/libs/*\0kafka.Kafka\0config/server.properties\0");
        t.proc(950, "java", 1, "java\0-jar\0/srv/app/billing-2.1.jar\0");
        t.proc(960, "ora_pmon_ORCL", 1, "ora_pmon_ORCL\0");
        // tools on the PATH under the root
        t.executable("/usr/sbin/modprobe").executable("/usr/bin/nvidia-smi").dir("/usr/local/bin");
        // an NVIDIA A100 bound to the nvidia driver, MIG on
        String gpu = "/sys/bus/pci/devices/0000:07:00.0";
        t.file(gpu + "/class", "0x030200\n").file(gpu + "/vendor", "0x10de\n").file(gpu + "/device", "0x20b0\n")
                .link(gpu + "/driver", "../../../bus/pci/drivers/nvidia")
                .command("nvidia-smi-mig", "00000000:07:00.0, Enabled\n");
        // an SR-IOV physical function with its link up
        String pf = "/sys/devices/pci0000:00/0000:00:05.0";
        String n = pf + "/net/ens5";
        t.link("/sys/class/net/ens5", "../../devices/pci0000:00/0000:00:05.0/net/ens5")
                .link(n + "/device", "../../../0000:00:05.0")
                .link(pf + "/driver", "../../../bus/pci/drivers/ixgbe")
                .link("/sys/bus/pci/devices/0000:00:05.0", "../../../devices/pci0000:00/0000:00:05.0")
                .file(pf + "/vendor", "0x8086\n").file(pf + "/device", "0x10fb\n")
                .file(pf + "/sriov_totalvfs", "63\n").file(pf + "/sriov_numvfs", "4\n")
                .file(n + "/address", "52:54:00:aa:bb:cc\n").file(n + "/mtu", "9000\n").file(n + "/speed", "10000\n")
                .file(n + "/duplex", "full\n").file(n + "/operstate", "up\n");
        // AppArmor with profiles; UEFI with Secure Boot on
        t.file("/etc/chameleon/migration-target", "# where this VM moves next\nkvm\n");
        t.file("/sys/kernel/security/lsm", "lockdown,capability,yama,apparmor\n")
                .file("/sys/module/apparmor/parameters/enabled", "Y\n")
                .file("/sys/kernel/security/apparmor/profiles", "/usr/sbin/cupsd (enforce)\nnvidia_modprobe (complain)\n")
                .bytes("/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c", new byte[] {6, 0, 0, 0, 1});
        // updates: apt offers a newer microcode from the security archive; a newer kernel is installed; reboot pending
        t.file("/proc/sys/kernel/osrelease", "6.1.0-26-amd64\n").file("/boot/vmlinuz-6.1.0-26-amd64", "")
                .file("/boot/vmlinuz-6.1.0-28-amd64", "").file("/var/lib/dpkg/status", "")
                .file("/run/reboot-required", "*** System restart required ***\n").file("/run/reboot-required.pkgs", "linux-image-6.1.0-28-amd64\n")
                .command("apt-cache-policy", Files.readString(repo().resolve("chameleon-sensors/src/test/resources/apt/de-apt-cache-policy.txt")));
        return dir;
    }

    /** A local HTTP server playing AWS's IMDSv2 under {@code /aws} and nothing anywhere else. */
    private static HttpServer metadataServer() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            if (ex.getRequestMethod().equals("PUT") && path.equals("/aws/latest/api/token")) {
                send(ex, 200, "AQAEAtoken==");
            } else if (path.equals("/aws/latest/dynamic/instance-identity/document")
                    && "AQAEAtoken==".equals(ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token"))) {
                send(ex, 200, """
                        {"availabilityZone": "eu-west-1b", "instanceId": "i-0123456789abcdef0",
                         "instanceType": "m6i.large", "region": "eu-west-1"}""");
            } else {
                send(ex, 404, "");
            }
        });
        server.start();
        return server;
    }

    private static void send(HttpExchange ex, int code, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(code, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            ex.getResponseBody().write(b);
        }
        ex.close();
    }

    /** Files, links and canned commands of a fake machine. */
    private record Tree(Path dir) {
        Tree {
            try {
                Files.createDirectories(dir.resolve("root"));
                Files.createDirectories(dir.resolve("commands"));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        Path path(String machinePath) {
            return dir.resolve("root").resolve(machinePath.substring(1));
        }

        Tree bytes(String machinePath, byte[] content) throws IOException {
            Path p = path(machinePath);
            Files.createDirectories(p.getParent());
            Files.write(p, content);
            return this;
        }

        Tree file(String machinePath, String content) throws IOException {
            return bytes(machinePath, content.getBytes(StandardCharsets.UTF_8));
        }

        Tree dir(String machinePath) throws IOException {
            Files.createDirectories(path(machinePath));
            return this;
        }

        Tree executable(String machinePath) throws IOException {
            file(machinePath, "#!/bin/sh\n");
            Files.setPosixFilePermissions(path(machinePath), PosixFilePermissions.fromString("rwxr-xr-x"));
            return this;
        }

        Tree link(String machinePath, String target) throws IOException {
            Path p = path(machinePath);
            Files.createDirectories(p.getParent());
            Files.createSymbolicLink(p, Path.of(target));
            return this;
        }

        Tree command(String name, String stdout) throws IOException {
            Files.writeString(dir.resolve("commands").resolve(name), stdout);
            return this;
        }

        Tree proc(long pid, String comm, long ppid, String cmdline) throws IOException {
            return file("/proc/" + pid + "/comm", comm + "\n")
                    .file("/proc/" + pid + "/stat", pid + " (" + comm + ") S " + ppid + " " + pid + " 0 0 -1\n")
                    .file("/proc/" + pid + "/cmdline", cmdline);
        }
    }
}
