package dev.chameleon.actuators;

import dev.chameleon.host.Command;
import dev.chameleon.host.CommandResult;
import dev.chameleon.host.CommandRunner;
import dev.chameleon.host.SysRoot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Stand-ins for the programs the actuators run — {@code systemctl}, {@code modprobe},
 * {@code ip link}, {@code ethtool}, {@code tuned-adm}, {@code apt-get}, {@code update-grub} — acting
 * on a fixture root the way the real ones act on a machine. They are fakes because the real
 * programs cannot manage services, modules or NICs inside a temporary folder; every state they keep
 * is a file in the fixture tree (units under {@code /fake/systemd/}, ethtool state under
 * {@code /fake/ethtool/}, modules in {@code /proc/modules}, packages in
 * {@code /var/lib/dpkg/status}), so a snapshot of the tree is a snapshot of the whole machine.
 * The real {@code ip link} is exercised in a network namespace ({@code NetnsNicIT}), the real
 * {@code modprobe} in the QEMU guest.
 */
final class FakeMachine implements CommandRunner {
    final SysRoot root;
    final List<String> calls = new ArrayList<>();
    /** The time limit each command line was given. */
    final Map<String, Duration> timeouts = new LinkedHashMap<>();
    /** Units whose start fails, modules modprobe cannot find, programs that are not installed. */
    final Set<String> failing = new HashSet<>();
    final Set<String> missing = new HashSet<>();

    FakeMachine(SysRoot root) {
        this.root = root;
    }

    @Override
    public String describe() {
        return "fake machine programs";
    }

    @Override
    public CommandResult run(Command command, Duration timeout) {
        calls.add(command.display());
        timeouts.put(command.display(), timeout);
        List<String> a = command.argv();
        if (missing.contains(a.get(0))) {
            return CommandResult.notAvailable("fake", a.get(0) + ": not installed");
        }
        try {
            return switch (a.get(0)) {
                case "systemctl" -> systemctl(a);
                case "modprobe" -> modprobe(a);
                case "ip" -> ip(a);
                case "ethtool" -> ethtool(a);
                case "tuned-adm" -> tuned(a);
                case "apt-get" -> apt(a);
                case "apt-cache" -> ok(read("/fake/apt/" + a.get(a.size() - 1) + ".policy")); // what a test wrote: apt-cache policy NAME
                case "dpkg-query" -> dpkgQuery(a);
                case "update-grub" -> ok("");
                default -> CommandResult.notAvailable("fake", a.get(0) + ": not installed");
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static CommandResult ok(String out) {
        return new CommandResult(CommandResult.Status.RAN, 0, out, "", "fake");
    }

    static CommandResult fail(String err) {
        return new CommandResult(CommandResult.Status.RAN, 1, "", err, "fake");
    }

    String read(String path) throws IOException {
        Path p = root.resolve(path);
        return Files.exists(p) ? Files.readString(p) : "";
    }

    void write(String path, String text) throws IOException {
        Path p = root.resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    Map<String, String> props(String text) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String l : text.split("\n")) {
            int eq = l.indexOf('=');
            if (eq > 0) {
                m.put(l.substring(0, eq), l.substring(eq + 1));
            }
        }
        return m;
    }

    private CommandResult systemctl(List<String> a) throws IOException {
        String verb = a.get(1);
        if (verb.equals("daemon-reload")) {
            return ok("");
        }
        String unit = a.get(a.size() - 1);
        String file = "/fake/systemd/" + unit;
        if (!root.exists(file)) {
            return verb.equals("show") ? ok("LoadState=not-found\nActiveState=inactive\nUnitFileState=\n")
                    : fail("Failed to " + verb + " " + unit + ": Unit " + unit + " not found.");
        }
        Map<String, String> p = props(read(file));
        switch (verb) {
            case "show" -> {
                return ok("LoadState=" + (p.get("UnitFileState").equals("masked") ? "masked" : "loaded") + "\nActiveState="
                        + p.get("ActiveState") + "\nUnitFileState=" + p.get("UnitFileState") + "\n");
            }
            case "start" -> {
                if (failing.contains(unit) || p.get("UnitFileState").equals("masked")) {
                    return fail("Job for " + unit + " failed because the control process exited with error code.");
                }
                p.put("ActiveState", "active");
            }
            case "stop" -> p.put("ActiveState", "inactive");
            case "enable", "disable", "mask" -> {
                if (p.get("UnitFileState").equals("masked") && !verb.equals("mask")) {
                    return fail("Failed to " + verb + " unit: Unit file " + unit + " is masked.");
                }
                p.put("UnitFileState", verb.equals("enable") ? "enabled" : verb.equals("mask") ? "masked" : "disabled");
            }
            case "unmask" -> p.put("UnitFileState", p.getOrDefault("Unmasked", "disabled"));
            default -> {
                return fail("fake systemctl: unknown verb " + verb);
            }
        }
        StringBuilder sb = new StringBuilder();
        p.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        write(file, sb.toString());
        return ok("");
    }

    private CommandResult modprobe(List<String> a) throws IOException {
        boolean remove = a.contains("-r");
        String name = a.get(a.size() - 1);
        if (failing.contains(name)) {
            return fail("modprobe: FATAL: Module " + name + " not found in directory /lib/modules/6.1.0-test");
        }
        List<String> lines = new ArrayList<>(read("/proc/modules").lines().toList());
        lines.removeIf(l -> l.startsWith(name + " "));
        if (!remove) {
            lines.add(name + " 16384 0 - Live 0x0000000000000000");
        }
        write("/proc/modules", String.join("\n", lines) + "\n");
        return ok("");
    }

    private CommandResult ip(List<String> a) throws IOException {
        // ip link set dev IF mtu|txqueuelen N
        String iface = a.get(4);
        String attr = a.get(5);
        long n = Long.parseLong(a.get(6));
        if (attr.equals("mtu") && (n < 68 || n > 65535)) {
            return fail("Error: mtu greater than device maximum.");
        }
        write("/sys/class/net/" + iface + "/" + (attr.equals("mtu") ? "mtu" : "tx_queue_len"), n + "\n");
        return ok("");
    }

    private CommandResult ethtool(List<String> a) throws IOException {
        String flag = a.get(1);
        String iface = a.get(2);
        String base = "/fake/ethtool/" + iface;
        switch (flag) {
            case "-l", "-g" -> {
                Map<String, String> cur = props(read(base + (flag.equals("-l") ? ".channels" : ".rings")));
                Map<String, String> max = props(read(base + (flag.equals("-l") ? ".channels-max" : ".rings-max")));
                StringBuilder sb = new StringBuilder((flag.equals("-l") ? "Channel" : "Ring") + " parameters for " + iface + ":\nPre-set maximums:\n");
                max.forEach((k, v) -> sb.append(label(k)).append(":\t\t").append(v).append('\n'));
                sb.append("Current hardware settings:\n");
                cur.forEach((k, v) -> sb.append(label(k)).append(":\t\t").append(v).append('\n'));
                return ok(sb.toString());
            }
            case "-k" -> {
                StringBuilder sb = new StringBuilder("Features for " + iface + ":\n");
                props(read(base + ".features")).forEach((k, v) -> sb.append(k).append(": ").append(v).append('\n'));
                return ok(sb.toString());
            }
            default -> {
                String file = base + (flag.equals("-L") ? ".channels" : flag.equals("-G") ? ".rings" : ".features");
                Map<String, String> cur = props(read(file));
                cur.put(a.get(3), a.get(4));
                StringBuilder sb = new StringBuilder();
                cur.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
                write(file, sb.toString());
                return ok("");
            }
        }
    }

    private static String label(String k) {
        return switch (k) {
            case "rx" -> "RX";
            case "tx" -> "TX";
            case "combined" -> "Combined";
            case "other" -> "Other";
            case "rx-mini" -> "RX Mini";
            case "rx-jumbo" -> "RX Jumbo";
            default -> k;
        };
    }

    private CommandResult tuned(List<String> a) throws IOException {
        switch (a.get(1)) {
            case "active" -> {
                String p = read("/etc/tuned/active_profile").strip();
                return ok(p.isEmpty() ? "No current active profile.\n" : "Current active profile: " + p + "\n");
            }
            case "list" -> {
                StringBuilder sb = new StringBuilder("Available profiles:\n");
                for (String n : root.list("/usr/lib/tuned")) {
                    sb.append("- ").append(n).append("  - profile ").append(n).append('\n');
                }
                return ok(sb.toString());
            }
            case "off" -> write("/etc/tuned/active_profile", "");
            default -> {
                if (!root.exists("/usr/lib/tuned/" + a.get(2))) {
                    return fail("Requested profile '" + a.get(2) + "' doesn't exist.");
                }
                write("/etc/tuned/active_profile", a.get(2) + "\n");
            }
        }
        return ok("");
    }

    private CommandResult apt(List<String> a) throws IOException {
        String spec = a.get(a.size() - 1);
        String name = spec.contains("=") ? spec.substring(0, spec.indexOf('=')) : spec;
        String version = spec.contains("=") ? spec.substring(spec.indexOf('=') + 1) : "1.0";
        if (failing.contains(name)) {
            return fail("E: Unable to locate package " + name);
        }
        List<String> stanzas = new ArrayList<>();
        for (String s : read("/var/lib/dpkg/status").split("\n\n")) {
            if (!s.isBlank() && !s.lines().anyMatch(l -> l.equals("Package: " + name))) {
                stanzas.add(s.strip());
            }
        }
        if (a.get(1).equals("install")) {
            stanzas.add("Package: " + name + "\nStatus: install ok installed\nVersion: " + version);
        }
        write("/var/lib/dpkg/status", String.join("\n\n", stanzas) + "\n");
        return ok("");
    }

    /** {@code dpkg-query -W -f '${Status}\t${Version}' NAME} from the fixture's /var/lib/dpkg/status. */
    private CommandResult dpkgQuery(List<String> a) throws IOException {
        String name = a.get(a.size() - 1);
        for (String s : read("/var/lib/dpkg/status").split("\n\n")) {
            if (s.lines().anyMatch(l -> l.equals("Package: " + name))) {
                String status = s.lines().filter(l -> l.startsWith("Status: ")).map(l -> l.substring(8)).findFirst().orElse("");
                String version = s.lines().filter(l -> l.startsWith("Version: ")).map(l -> l.substring(9)).findFirst().orElse("");
                return ok(status + "\t" + version);
            }
        }
        return new CommandResult(CommandResult.Status.RAN, 1, "", "dpkg-query: no packages found matching " + name, "fake");
    }
}
