package dev.chameleon.sensors;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * {@code apps}: running applications recognised from the table {@code apps.yaml} (PostgreSQL,
 * MySQL/MariaDB, Oracle, SQL Server, Redis, nginx, httpd, Elasticsearch/OpenSearch, Kafka,
 * containerd, Docker, kubelet, generic JVMs, …).
 *
 * <p>One entry per instance: a process that matches, and whose parent matches the same
 * application, is counted in the parent's instance. Keys: {@code name}, {@code kind} (from the
 * table); {@code pid} (long, the instance's top process); {@code processes} (long);
 * {@code ports} (sorted list of long TCP ports the instance's processes listen on: the listening
 * sockets of the top process's network namespace ({@link dev.chameleon.host.SysRoot#listeningTcp}:
 * netlink on the live machine, {@code /proc/PID/net/tcp} and {@code tcp6} otherwise), matched by inode to the
 * {@code socket:[inode]} links of {@code /proc/PID/fd}; empty when none or unreadable);
 * {@code unit} (the systemd unit from {@code /proc/PID/cgroup}, absent outside systemd);
 * {@code mainClass} or {@code jar} (java processes); {@code instance} (e.g. the Oracle SID).
 *
 * <p>Sources: {@code /proc/PID/comm}, {@code /proc/PID/stat} (parent pid), {@code /proc/PID/cmdline}
 * (java only), {@code /proc/PID/fd}, the socket table ({@code NETLINK_SOCK_DIAG} or
 * {@code /proc/PID/net/tcp{,6}}), {@code /proc/PID/cgroup}.
 * Processes that vanish while being read are skipped. Everything here is volatile.
 */
public final class AppsSensor implements Sensor {
    /** One row of {@code apps.yaml}. */
    record Rule(String name, String kind, Set<String> comm, Pattern commPattern, List<Pattern> javaMain) {
    }

    private static final Set<String> RULE_KEYS = Set.of("name", "kind", "comm", "commPattern", "javaMain");
    private static volatile List<Rule> standard;

    private final List<Rule> rules;

    public AppsSensor() {
        this(null);
    }

    AppsSensor(List<Rule> rules) {
        this.rules = rules;
    }

    @Override
    public String name() {
        return "apps";
    }

    /** The built-in table, loaded once. */
    static List<Rule> standardRules() {
        List<Rule> r = standard;
        if (r == null) {
            try (InputStream in = AppsSensor.class.getResourceAsStream("apps.yaml")) {
                if (in == null) {
                    throw new IllegalStateException("apps.yaml missing from the jar");
                }
                r = load(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new IllegalStateException("apps.yaml unreadable", e);
            }
            standard = r;
        }
        return r;
    }

    /**
     * Parses an application table.
     *
     * @throws IllegalArgumentException naming the entry and the unknown or missing key
     */
    @SuppressWarnings("unchecked")
    public static List<Rule> load(String yaml) {
        Object doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
        if (!(doc instanceof List<?> list)) {
            throw new IllegalArgumentException("apps table: want a list of entries");
        }
        List<Rule> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException("apps table: entry is not a map: " + o);
            }
            for (Object k : m.keySet()) {
                if (!RULE_KEYS.contains(String.valueOf(k))) {
                    throw new IllegalArgumentException("apps table: entry " + m.get("name") + ": unknown key '" + k + "'; known: " + RULE_KEYS);
                }
            }
            if (m.get("name") == null || m.get("kind") == null) {
                throw new IllegalArgumentException("apps table: entry " + m + " needs name and kind");
            }
            Set<String> comm = m.get("comm") == null ? Set.of() : Set.copyOf((List<String>) m.get("comm"));
            Pattern cp = m.get("commPattern") == null ? null : Pattern.compile((String) m.get("commPattern"));
            List<Pattern> jm = m.get("javaMain") == null ? List.of()
                    : ((List<String>) m.get("javaMain")).stream().map(Pattern::compile).toList();
            if (comm.isEmpty() && cp == null && jm.isEmpty()) {
                throw new IllegalArgumentException("apps table: entry " + m.get("name") + " matches nothing (comm, commPattern or javaMain)");
            }
            out.add(new Rule((String) m.get("name"), (String) m.get("kind"), comm, cp, jm));
        }
        return List.copyOf(out);
    }

    private record Proc(long pid, long ppid, Rule rule, Map<String, Object> extra) {
    }

    @Override
    public Object sense(SensorContext ctx) {
        List<Rule> table = rules == null ? standardRules() : rules;
        Map<Long, Proc> matched = new LinkedHashMap<>();
        for (String p : ctx.root().list("/proc")) {
            if (!dev.chameleon.host.SysRoot.isProcessId(p)) {
                continue;
            }
            long pid = Long.parseLong(p);
            Optional<String> comm = ctx.root().readTrimmed("/proc/" + p + "/comm");
            if (comm.isEmpty()) {
                continue;
            }
            Map<String, Object> extra = new LinkedHashMap<>();
            Rule rule = match(ctx, table, p, comm.get(), extra);
            if (rule != null) {
                long ppid = ctx.root().readTrimmed("/proc/" + p + "/stat").flatMap(AppsSensor::parsePpid).orElse(0L);
                matched.put(pid, new Proc(pid, ppid, rule, extra));
            }
        }
        // group: walk up while the parent runs the same application
        Map<Long, List<Proc>> instances = new LinkedHashMap<>();
        for (Proc pr : matched.values()) {
            Proc top = pr;
            Set<Long> seen = new java.util.HashSet<>();
            while (seen.add(top.pid)) {
                Proc parent = matched.get(top.ppid);
                if (parent == null || !parent.rule.name().equals(pr.rule.name())) {
                    break;
                }
                top = parent;
            }
            instances.computeIfAbsent(top.pid, k -> new ArrayList<>()).add(pr);
        }
        List<Object> out = new ArrayList<>();
        Map<String, Map<Long, Long>> sockets = new HashMap<>();
        for (Map.Entry<Long, List<Proc>> e : instances.entrySet()) {
            Proc top = matched.get(e.getKey());
            Map<String, Object> app = new LinkedHashMap<>();
            app.put("name", top.rule.name());
            app.put("kind", top.rule.kind());
            app.put("pid", top.pid);
            app.put("processes", (long) e.getValue().size());
            app.putAll(top.extra);
            // one socket table per network namespace and pass: several instances often share one
            String netns = ctx.root().linkName("/proc/" + top.pid + "/ns/net").orElse("pid " + top.pid);
            Map<Long, Long> listening = sockets.computeIfAbsent(netns, k -> ctx.root().listeningTcp(String.valueOf(top.pid)));
            Set<Long> ports = new TreeSet<>();
            if (!listening.isEmpty()) {
                for (Proc pr : e.getValue()) {
                    for (String fd : ctx.root().list("/proc/" + pr.pid + "/fd")) {
                        ctx.root().linkName("/proc/" + pr.pid + "/fd/" + fd).flatMap(AppsSensor::socketInode)
                                .map(listening::get).ifPresent(ports::add);
                    }
                }
            }
            app.put("ports", List.copyOf(ports));
            ctx.root().readTrimmed("/proc/" + top.pid + "/cgroup").flatMap(AppsSensor::parseUnit).ifPresent(u -> app.put("unit", u));
            ctx.provenance("apps." + top.pid, "/proc/" + top.pid);
            out.add(app);
        }
        return out;
    }

    private static Rule match(SensorContext ctx, List<Rule> table, String pid, String comm, Map<String, Object> extra) {
        Optional<Map<String, String>> java = Optional.empty();
        boolean javaRead = false;
        for (Rule r : table) {
            if (r.comm().contains(comm) && r.javaMain().isEmpty()) {
                if (comm.equals("java")) {
                    java = javaRead ? java : readJava(ctx, pid);
                    java.ifPresent(extra::putAll);
                }
                return r;
            }
            if (r.commPattern() != null) {
                Matcher m = r.commPattern().matcher(comm);
                if (m.matches()) {
                    if (r.commPattern().pattern().contains("(?<instance>")) {
                        extra.put("instance", m.group("instance"));
                    }
                    return r;
                }
            }
            if (!r.javaMain().isEmpty() && comm.equals("java")) {
                if (!javaRead) {
                    java = readJava(ctx, pid);
                    javaRead = true;
                }
                if (java.isPresent()) {
                    String main = java.get().getOrDefault("mainClass", java.get().getOrDefault("jar", ""));
                    for (Pattern p : r.javaMain()) {
                        if (p.matcher(main).find()) {
                            extra.putAll(java.get());
                            return r;
                        }
                    }
                }
            }
        }
        return null;
    }

    private static Optional<Map<String, String>> readJava(SensorContext ctx, String pid) {
        var f = ctx.root().read("/proc/" + pid + "/cmdline");
        return f.isPresent() ? Optional.of(parseJavaCommandLine(f.text())) : Optional.empty();
    }

    private static final Set<String> JAVA_OPTIONS_WITH_VALUE = Set.of("-cp", "-classpath", "--class-path", "-p",
            "--module-path", "--upgrade-module-path", "--add-modules", "--add-opens", "--add-exports", "--add-reads",
            "--patch-module", "--limit-modules", "--enable-native-access");

    /**
     * The main class ({@code mainClass}) or jar ({@code jar}) of a java command line, NUL-separated
     * as in {@code /proc/PID/cmdline}; {@code -m module/class} gives the class. Empty map when
     * neither is found.
     */
    public static Map<String, String> parseJavaCommandLine(String cmdline) {
        String[] args = cmdline.split("\0");
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-jar") && i + 1 < args.length) {
                String jar = args[i + 1];
                out.put("jar", jar.substring(jar.lastIndexOf('/') + 1));
                break;
            }
            if ((a.equals("-m") || a.equals("--module")) && i + 1 < args.length) {
                String m = args[i + 1];
                out.put("mainClass", m.contains("/") ? m.substring(m.indexOf('/') + 1) : m);
                break;
            }
            if (JAVA_OPTIONS_WITH_VALUE.contains(a)) {
                i++;
                continue;
            }
            if (a.startsWith("-") || a.startsWith("@") || a.isEmpty()) {
                continue;
            }
            out.put("mainClass", a);
            break;
        }
        return out;
    }

    /** The parent pid from {@code /proc/PID/stat} (the field after the state, after the last ')'). */
    public static Optional<Long> parsePpid(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            return Optional.empty();
        }
        String[] f = stat.substring(close + 1).strip().split("\\s+");
        return f.length > 1 ? Sensors.parseLong(f[1]) : Optional.empty();
    }

    /**
     * Listening TCP sockets of {@code /proc/net/tcp} or {@code tcp6} text: inode → local port.
     * Rows: {@code sl local_address rem_address st ... inode}; state {@code 0A} is LISTEN.
     */
    public static Map<Long, Long> parseListening(String text) {
        return dev.chameleon.host.SysRoot.parseProcNetTcpListening(text);
    }

    /** {@code socket:[12345]} → 12345. */
    static Optional<Long> socketInode(String link) {
        if (link.startsWith("socket:[") && link.endsWith("]")) {
            return Sensors.parseLong(link.substring(8, link.length() - 1));
        }
        return Optional.empty();
    }

    /**
     * The systemd unit of a process from {@code /proc/PID/cgroup} (v2 {@code 0::/system.slice/nginx.service}
     * or v1 {@code 1:name=systemd:/system.slice/nginx.service}): the last path element that ends in
     * {@code .service} or {@code .scope}.
     */
    public static Optional<String> parseUnit(String cgroup) {
        String path = null;
        for (String line : cgroup.split("\n")) {
            String[] f = line.split(":", 3);
            if (f.length == 3 && (f[0].equals("0") && f[1].isEmpty() || f[1].equals("name=systemd"))) {
                path = f[2];
                if (f[1].equals("name=systemd")) {
                    break;
                }
            }
        }
        if (path == null) {
            return Optional.empty();
        }
        String[] parts = path.split("/");
        for (int i = parts.length - 1; i >= 0; i--) {
            if (parts[i].endsWith(".service") || parts[i].endsWith(".scope")) {
                return Optional.of(parts[i]);
            }
        }
        return Optional.empty();
    }
}
