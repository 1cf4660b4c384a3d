package dev.chameleon.engine.hardware;

import dev.chameleon.engine.hardware.Finding.Status;
import dev.chameleon.engine.hardware.Platforms.Platform;
import dev.chameleon.actuators.InitramfsListing;
import dev.chameleon.host.Host;
import dev.chameleon.host.HostFile;
import dev.chameleon.host.SysRoot;
import dev.chameleon.model.FactSet;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code chameleon readiness --target T}: whether this guest's disk would boot and come up on
 * the target platform. Seven checks, each pass, fail or unknown with its evidence
 * ({@code file:line: text}) and fix: the initramfs holds the target's storage and network
 * drivers; fstab and the boot loader name disks by UUID or LABEL; the network configuration is
 * bound to no MAC address and no PCI-slot interface name; the target's guest agent is installed;
 * cloud-init (when there, or required) may use the target's datasource; the kernel command line
 * puts a console on the target's serial port. What each target needs comes from
 * {@code hardware/platforms.yaml}; every file is read through the root.
 */
public final class Readiness {
    /** A disk named by its kernel name or by a path that depends on the bus: changes with the platform. */
    static final Pattern UNSTABLE_DEVICE = Pattern.compile(
            "/dev/(?:[shv]d[a-z]+\\d*|xvd[a-z]+\\d*|nvme\\d+n\\d+(?:p\\d+)?|mmcblk\\d+(?:p\\d+)?|disk/by-(?:path|id)/\\S+)");
    /** An interface name that encodes the PCI slot or firmware index (systemd's predictable names, biosdevname). */
    static final Pattern PLATFORM_IFNAME = Pattern.compile("(?:en|wl|ww)(?:o\\d+|s\\d+|p\\d+s\\d+|x[0-9a-f]{12})\\S*|em\\d+|p\\d+p\\d+");

    private Readiness() {
    }

    /**
     * The report.
     *
     * @param target   the target platform's name
     * @param findings one per check, in the order above (the initramfs check once per image)
     */
    public record Report(String target, List<Finding> findings) {
        public boolean hasFailures() {
            return findings.stream().anyMatch(f -> f.status() == Status.FAIL);
        }

        /** The JSON shape of {@code readiness -o json}: {@code {target, findings: [...], summary}}. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("target", target);
            m.put("findings", findings.stream().map(Finding::toMap).toList());
            m.put("summary", Finding.summary(findings));
            return m;
        }
    }

    /** Checks the machine of {@code host} for {@code target}; {@code facts} need the os and kernel sensors' facts. */
    public static Report check(Platform target, Host host, FactSet facts) {
        Distro distro = Distro.of(facts);
        List<Finding> out = new ArrayList<>(initramfs(target, host, facts, distro));
        out.add(fstab(host.root()));
        out.add(bootLoader(host.root(), distro));
        out.add(network(host.root()));
        out.add(agent(target, host.root(), distro));
        out.add(cloudInit(target, host.root(), distro));
        out.add(console(target, host.root(), distro));
        return new Report(target.name(), out);
    }

    /** How the distribution rebuilds its initramfs and boot configuration. */
    record Distro(boolean debian, boolean dracut) {
        static Distro of(FactSet facts) {
            String ids = (facts.getString("os.id").orElse("") + " " + facts.getString("os.idLike").orElse("")).toLowerCase(Locale.ROOT);
            boolean debian = ids.matches(".*\\b(debian|ubuntu)\\b.*");
            return new Distro(debian, !debian && ids.matches(".*\\b(rhel|fedora|centos|suse|opensuse|sles|rocky|almalinux|ol|amzn)\\b.*"));
        }

        String rebuildInitramfs(String release, List<String> modules) {
            String rel = release == null ? "$(uname -r)" : release;
            if (dracut) {
                return "echo 'add_drivers+=\" " + String.join(" ", modules) + " \"' > /etc/dracut.conf.d/90-chameleon.conf && dracut -f /boot/initramfs-"
                        + rel + ".img " + rel;
            }
            return "printf '%s\\n' " + String.join(" ", modules) + " >> /etc/initramfs-tools/modules && update-initramfs -u -k " + rel;
        }

        String updateGrub() {
            return dracut ? "grub2-mkconfig -o /boot/grub2/grub.cfg" : "update-grub";
        }

        String install(String pkg) {
            return dracut ? "dnf install -y " + pkg : debian ? "apt-get install -y " + pkg : "install the package " + pkg;
        }
    }

    // ---------------------------------------------------------------- initramfs

    static List<Finding> initramfs(Platform target, Host host, FactSet facts, Distro distro) {
        List<String> needed = new ArrayList<>(target.storageModules());
        needed.addAll(target.networkModules());
        String want = "the initramfs holds " + String.join(", ", needed);
        SysRoot root = host.root();
        Optional<String> release = facts.getString("kernel.release");
        List<String> images = new ArrayList<>();
        if (release.isPresent()) {
            for (String p : List.of("/boot/initrd.img-" + release.get(), "/boot/initramfs-" + release.get() + ".img")) {
                if (root.exists(p)) {
                    images.add(p);
                }
            }
        }
        if (images.isEmpty()) {
            for (String name : root.list("/boot")) {
                if (name.matches("initrd\\.img-.+|initramfs-.+\\.img") && !name.contains("kdump") && !name.contains("rescue")) {
                    images.add("/boot/" + name);
                }
            }
        }
        if (images.isEmpty()) {
            return List.of(new Finding("initramfs.drivers", Status.UNKNOWN, want, "",
                    List.of("no initramfs in /boot (initrd.img-RELEASE, initramfs-RELEASE.img)"
                            + (release.isPresent() ? " for the running kernel " + release.get() : "")),
                    distro.rebuildInitramfs(release.orElse(null), flatten(needed))));
        }
        List<Finding> out = new ArrayList<>();
        for (String image : images) {
            String rel = image.replaceFirst("^/boot/(initrd\\.img-|initramfs-)", "").replaceFirst("\\.img$", "");
            String check = images.size() == 1 ? "initramfs.drivers" : "initramfs.drivers " + image;
            InitramfsListing.Listing listing;
            try {
                listing = InitramfsListing.list(host, image);
            } catch (IOException | RuntimeException e) {
                out.add(new Finding(check, Status.UNKNOWN, want, "", List.of(image + ": cannot read: " + e.getMessage()),
                        distro.rebuildInitramfs(rel, flatten(needed))));
                continue;
            }
            Map<String, String> where = InitramfsListing.modules(listing.paths());
            Set<String> inImage = where.keySet();
            Set<String> builtin = InitramfsListing.builtin(root, rel);
            List<String> evidence = new ArrayList<>();
            evidence.add(image + ": " + listing.paths().size() + " entries, " + inImage.size() + " modules (read with " + listing.method() + ")");
            List<String> missing = new ArrayList<>();
            for (String need : needed) {
                String found = null;
                for (String alt : need.split("\\|")) {
                    if (inImage.contains(norm(alt))) {
                        found = alt + ": " + image + ": " + where.get(norm(alt));
                        break;
                    }
                    if (builtin.contains(norm(alt))) {
                        found = alt + ": built into the kernel (/lib/modules/" + rel + "/modules.builtin)";
                        break;
                    }
                }
                if (found == null) {
                    missing.add(need);
                    evidence.add(need.replace("|", " or ") + ": not in " + image + " and not built in");
                } else {
                    evidence.add(found);
                }
            }
            out.add(missing.isEmpty() ? new Finding(check, Status.PASS, want, "all present", evidence, "")
                    : new Finding(check, Status.FAIL, want, "missing " + String.join(", ", missing), evidence,
                            distro.rebuildInitramfs(rel, flatten(missing))));
        }
        return out;
    }

    private static List<String> flatten(List<String> modules) {
        return modules.stream().map(m -> m.split("\\|")[0]).toList();
    }

    static String norm(String module) {
        return InitramfsListing.norm(module);
    }

    // ---------------------------------------------------------------- fstab

    static Finding fstab(SysRoot root) {
        String want = "/etc/fstab names disks by UUID=, LABEL=, PARTUUID= or /dev/mapper";
        HostFile f = root.read("/etc/fstab");
        if (!f.isPresent()) {
            return new Finding("fstab.stable-ids", Status.UNKNOWN, want, "",
                    List.of("/etc/fstab: " + (f.status() == HostFile.Status.ABSENT ? "absent" : "cannot read: " + f.error())), "");
        }
        List<String> bad = new ArrayList<>();
        List<String> evidence = new ArrayList<>();
        String[] lines = f.text().split("\n", -1);
        int entries = 0;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\\s+");
            if (fields.length < 2 || fields.length > 6) {
                evidence.add("/etc/fstab:" + (i + 1) + ": cannot read this line (" + fields.length + " field" + (fields.length == 1 ? "" : "s")
                        + "; an fstab line has 2 to 6): " + line);
                continue;
            }
            entries++;
            if (UNSTABLE_DEVICE.matcher(fields[0]).matches()) {
                bad.add(fields[0]);
                evidence.add("/etc/fstab:" + (i + 1) + ": " + line);
            }
        }
        boolean unreadableLine = evidence.stream().anyMatch(e -> e.contains("cannot read this line"));
        if (!bad.isEmpty()) {
            return new Finding("fstab.stable-ids", Status.FAIL, want, "by device name: " + String.join(", ", bad), evidence,
                    "replace each device name by its UUID (blkid -s UUID -o value DEVICE) as UUID=..., e.g. "
                            + "'UUID=<uuid> / ext4 defaults 0 1'");
        }
        if (unreadableLine) {
            return new Finding("fstab.stable-ids", Status.UNKNOWN, want, entries + " entries by stable names, some lines unreadable", evidence,
                    "correct the lines above");
        }
        evidence.add("/etc/fstab: " + entries + " entries, none by device name");
        return new Finding("fstab.stable-ids", Status.PASS, want, "all stable", evidence, "");
    }

    // ---------------------------------------------------------------- boot loader

    static Finding bootLoader(SysRoot root, Distro distro) {
        String want = "the boot loader finds the root file system by UUID, LABEL or PARTUUID";
        List<String> evidence = new ArrayList<>();
        List<String> bad = new ArrayList<>();
        boolean any = false;
        for (String cfg : List.of("/boot/grub/grub.cfg", "/boot/grub2/grub.cfg", "/boot/efi/EFI/debian/grub.cfg")) {
            HostFile f = root.read(cfg);
            if (!f.isPresent()) {
                if (f.status() == HostFile.Status.UNREADABLE) {
                    evidence.add(cfg + ": cannot read: " + f.error());
                }
                continue;
            }
            any = true;
            String[] lines = f.text().split("\n", -1);
            int kernels = 0;
            for (int i = 0; i < lines.length; i++) {
                String l = lines[i].strip();
                if (!l.matches("(linux|linux16|linuxefi|kernel)\\s.*")) {
                    continue;
                }
                kernels++;
                Matcher m = Pattern.compile("\\broot=(\\S+)").matcher(l);
                if (m.find() && UNSTABLE_DEVICE.matcher(m.group(1)).matches()) {
                    bad.add(cfg + ":" + (i + 1));
                    evidence.add(cfg + ":" + (i + 1) + ": " + l);
                }
            }
            if (bad.isEmpty()) {
                evidence.add(cfg + ": " + kernels + " kernel lines, none with root=/dev/NAME");
            }
        }
        HostFile def = root.read("/etc/default/grub");
        if (def.isPresent()) {
            String[] lines = def.text().split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].strip().matches("GRUB_DISABLE_LINUX_UUID=[\"']?true[\"']?")) {
                    bad.add("/etc/default/grub:" + (i + 1));
                    evidence.add("/etc/default/grub:" + (i + 1) + ": " + lines[i].strip());
                }
            }
        }
        if (!bad.isEmpty()) {
            return new Finding("bootloader.stable-ids", Status.FAIL, want, "by device name at " + String.join(", ", bad), evidence,
                    "remove GRUB_DISABLE_LINUX_UUID=true from /etc/default/grub (and any root=/dev/NAME), then " + distro.updateGrub());
        }
        if (!any) {
            evidence.add("no grub.cfg in /boot/grub, /boot/grub2 or /boot/efi/EFI/debian");
            return new Finding("bootloader.stable-ids", Status.UNKNOWN, want, "", evidence, "");
        }
        return new Finding("bootloader.stable-ids", Status.PASS, want, "by UUID or label", evidence, "");
    }

    // ---------------------------------------------------------------- network configuration

    static Finding network(SysRoot root) {
        String want = "network configuration bound to no MAC address and no PCI-slot interface name";
        List<String> evidence = new ArrayList<>();
        List<String> bad = new ArrayList<>();
        int files = 0;
        for (String name : root.list("/etc/netplan")) {
            if (name.endsWith(".yaml") || name.endsWith(".yml")) {
                files++;
                scan(root, "/etc/netplan/" + name, bad, evidence, (l, at) -> {
                    if (l.matches("macaddress:\\s*\\S+") && at.inMatch) {
                        return "matched by MAC address";
                    }
                    if (l.startsWith("match:")) {
                        at.inMatch = true;
                    } else if (!l.startsWith("macaddress") && !l.startsWith("name:") && !l.startsWith("driver:")) {
                        at.inMatch = false;
                    }
                    Matcher m = Pattern.compile("(\\S+):\\s*(\\{.*)?$").matcher(l);
                    if (at.underEthernets && m.matches() && at.indent == at.ethernetsChildIndent && PLATFORM_IFNAME.matcher(m.group(1)).matches()) {
                        return "interface named " + m.group(1);
                    }
                    Matcher n = Pattern.compile("name:\\s*[\"']?([^\"'\\s]+)").matcher(l);
                    if (at.inMatch && n.matches() && PLATFORM_IFNAME.matcher(n.group(1)).matches()) {
                        return "matched by the name " + n.group(1);
                    }
                    return null;
                });
            }
        }
        HostFile ifupdown = root.read("/etc/network/interfaces");
        if (ifupdown.isPresent()) {
            files++;
            scan(root, "/etc/network/interfaces", bad, evidence, (l, at) -> {
                Matcher m = Pattern.compile("(?:auto|allow-hotplug|iface)\\s+(\\S+).*").matcher(l);
                return m.matches() && PLATFORM_IFNAME.matcher(m.group(1)).matches() ? "interface named " + m.group(1) : null;
            });
        }
        for (String name : root.list("/etc/systemd/network")) {
            if (name.endsWith(".network") || name.endsWith(".link")) {
                files++;
                scan(root, "/etc/systemd/network/" + name, bad, evidence, (l, at) -> {
                    if (l.startsWith("[")) {
                        at.inMatch = l.equals("[Match]");
                        return null;
                    }
                    if (at.inMatch && l.matches("(?i)(MACAddress|PermanentMACAddress)\\s*=\\s*\\S+.*")) {
                        return "matched by MAC address";
                    }
                    Matcher m = Pattern.compile("Name\\s*=\\s*(\\S+)").matcher(l);
                    return at.inMatch && m.matches() && PLATFORM_IFNAME.matcher(m.group(1)).matches() ? "matched by the name " + m.group(1) : null;
                });
            }
        }
        for (String name : root.list("/etc/NetworkManager/system-connections")) {
            files++;
            scan(root, "/etc/NetworkManager/system-connections/" + name, bad, evidence, (l, at) -> {
                if (l.matches("mac-address\\s*=\\s*\\S+")) {
                    return "bound to a MAC address";
                }
                Matcher m = Pattern.compile("interface-name\\s*=\\s*(\\S+)").matcher(l);
                return m.matches() && PLATFORM_IFNAME.matcher(m.group(1)).matches() ? "bound to the name " + m.group(1) : null;
            });
        }
        for (String name : root.list("/etc/udev/rules.d")) {
            if (name.endsWith("persistent-net.rules")) {
                files++;
                scan(root, "/etc/udev/rules.d/" + name, bad, evidence, (l, at) ->
                        !l.startsWith("#") && l.matches(".*ATTR\\{address\\}==.*") ? "an interface named by its MAC address" : null);
            }
        }
        if (!bad.isEmpty()) {
            return new Finding("network.not-bound", Status.FAIL, want, String.join("; ", new LinkedHashSet<>(bad)), evidence,
                    "match interfaces by driver or by a name pattern instead (netplan: 'match: {name: \"en*\"}' or 'match: {driver: virtio_net}'; "
                            + "systemd-networkd: 'Name=en*'; NetworkManager: remove mac-address= and interface-name=; "
                            + "delete /etc/udev/rules.d/70-persistent-net.rules)");
        }
        if (files == 0) {
            return new Finding("network.not-bound", Status.UNKNOWN, want, "", List.of(
                    "no network configuration found (/etc/netplan, /etc/network/interfaces, /etc/systemd/network, "
                            + "/etc/NetworkManager/system-connections)"), "");
        }
        boolean unreadable = evidence.stream().anyMatch(e -> e.contains(": cannot read"));
        evidence.add(files + " configuration file(s), none bound to a MAC address or a slot name");
        return new Finding("network.not-bound", unreadable ? Status.UNKNOWN : Status.PASS, want, unreadable ? "" : "not bound", evidence, "");
    }

    /** Line scanner state for one file. */
    static final class At {
        boolean inMatch;
        boolean underEthernets;
        int ethernetsChildIndent = -1;
        int indent;
    }

    interface LineRule {
        /** Why {@code line} (stripped) binds the configuration, or null. */
        String why(String line, At at);
    }

    private static void scan(SysRoot root, String path, List<String> bad, List<String> evidence, LineRule rule) {
        HostFile f = root.read(path);
        if (!f.isPresent()) {
            evidence.add(path + ": cannot read: " + (f.status() == HostFile.Status.ABSENT ? "absent" : f.error()));
            return;
        }
        String[] lines = f.text().split("\n", -1);
        At at = new At();
        int ethernetsIndent = -1;
        for (int i = 0; i < lines.length; i++) {
            String raw = lines[i].replace("\t", "    ");
            String l = raw.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            at.indent = raw.length() - raw.stripLeading().length();
            if (l.startsWith("ethernets:")) {
                at.underEthernets = true;
                ethernetsIndent = at.indent;
                at.ethernetsChildIndent = -1;
                continue;
            }
            if (at.underEthernets && at.indent <= ethernetsIndent) {
                at.underEthernets = false;
            }
            if (at.underEthernets && at.ethernetsChildIndent < 0) {
                at.ethernetsChildIndent = at.indent;
            }
            String why = rule.why(l, at);
            if (why != null) {
                bad.add(why);
                evidence.add(path + ":" + (i + 1) + ": " + l + "  (" + why + ")");
            }
        }
    }

    // ---------------------------------------------------------------- guest agent, cloud-init, console

    static Finding agent(Platform target, SysRoot root, Distro distro) {
        String want = "the " + target.label() + " guest agent (" + target.agentPackage() + ")";
        for (String p : target.agentPrograms()) {
            if (root.exists(p)) {
                return new Finding("guest-agent", Status.PASS, want, target.agentPackage(), List.of(p + " exists"), "");
            }
        }
        if (!root.isDirectory("/usr")) {
            return new Finding("guest-agent", Status.UNKNOWN, want, "", List.of("/usr is not there under the root"), distro.install(target.agentPackage()));
        }
        return new Finding("guest-agent", Status.FAIL, want, "not installed",
                List.of("none of " + String.join(", ", target.agentPrograms()) + " exists"), distro.install(target.agentPackage()));
    }

    static Finding cloudInit(Platform target, SysRoot root, Distro distro) {
        String want = "cloud-init may use the " + target.datasource() + " datasource" + (target.cloudInitRequired() ? " (required on " + target.label() + ")" : "");
        boolean installed = root.exists("/usr/bin/cloud-init") || root.exists("/usr/local/bin/cloud-init");
        if (!installed) {
            return target.cloudInitRequired()
                    ? new Finding("cloud-init.datasource", Status.FAIL, want, "cloud-init not installed", List.of("/usr/bin/cloud-init does not exist"),
                            distro.install("cloud-init"))
                    : new Finding("cloud-init.datasource", Status.PASS, want, "cloud-init not installed (not needed on " + target.label() + ")",
                            List.of("/usr/bin/cloud-init does not exist"), "");
        }
        List<String> files = new ArrayList<>();
        files.add("/etc/cloud/cloud.cfg");
        root.list("/etc/cloud/cloud.cfg.d").stream().filter(n -> n.endsWith(".cfg")).sorted().forEach(n -> files.add("/etc/cloud/cloud.cfg.d/" + n));
        String lastList = null;
        String lastWhere = null;
        List<String> evidence = new ArrayList<>();
        for (String file : files) {
            HostFile f = root.read(file);
            if (!f.isPresent()) {
                if (f.status() == HostFile.Status.UNREADABLE) {
                    evidence.add(file + ": cannot read: " + f.error());
                }
                continue;
            }
            String[] lines = f.text().split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                Matcher m = Pattern.compile("^datasource_list\\s*:\\s*(.*)$").matcher(lines[i].strip());
                if (m.matches()) {
                    StringBuilder value = new StringBuilder(m.group(1));
                    for (int j = i + 1; j < lines.length && !value.toString().contains("]") && lines[j].strip().startsWith("-") | value.isEmpty(); j++) {
                        value.append(' ').append(lines[j].strip());
                    }
                    lastList = value.toString();
                    lastWhere = file + ":" + (i + 1);
                }
            }
        }
        if (lastList == null) {
            evidence.add("no datasource_list in " + String.join(", ", files) + ": cloud-init tries every datasource it has");
            return new Finding("cloud-init.datasource", evidence.stream().anyMatch(e -> e.contains("cannot read")) ? Status.UNKNOWN : Status.PASS,
                    want, "every datasource", evidence, "");
        }
        evidence.add(lastWhere + ": datasource_list: " + lastList.strip());
        boolean has = Pattern.compile("\\b" + Pattern.quote(target.datasource()) + "\\b").matcher(lastList).find();
        return has ? new Finding("cloud-init.datasource", Status.PASS, want, lastList.strip(), evidence, "")
                : new Finding("cloud-init.datasource", Status.FAIL, want, lastList.strip(), evidence,
                        "add " + target.datasource() + " to datasource_list in " + lastWhere.replaceFirst(":\\d+$", "")
                                + " (e.g. datasource_list: [ " + target.datasource() + ", None ])");
    }

    static Finding console(Platform target, SysRoot root, Distro distro) {
        String want = "console=" + target.console() + " on the kernel command line";
        Pattern console = Pattern.compile("\\bconsole=" + Pattern.quote(target.console()) + "\\b");
        List<String> evidence = new ArrayList<>();
        HostFile def = root.read("/etc/default/grub");
        boolean anyFile = false;
        if (def.isPresent()) {
            anyFile = true;
            String[] lines = def.text().split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                String l = lines[i].strip();
                if (l.matches("GRUB_CMDLINE_LINUX(_DEFAULT)?=.*")) {
                    evidence.add("/etc/default/grub:" + (i + 1) + ": " + l);
                    if (console.matcher(l).find()) {
                        return new Finding("console.serial", Status.PASS, want, "console=" + target.console(), evidence, "");
                    }
                }
            }
        } else if (def.status() == HostFile.Status.UNREADABLE) {
            evidence.add("/etc/default/grub: cannot read: " + def.error());
        }
        for (String cfg : List.of("/boot/grub/grub.cfg", "/boot/grub2/grub.cfg")) {
            HostFile f = root.read(cfg);
            if (f.isPresent()) {
                anyFile = true;
                String[] lines = f.text().split("\n", -1);
                for (int i = 0; i < lines.length; i++) {
                    String l = lines[i].strip();
                    if (l.matches("(linux|linuxefi)\\s.*") && console.matcher(l).find()) {
                        evidence.add(cfg + ":" + (i + 1) + ": " + l);
                        return new Finding("console.serial", Status.PASS, want, "console=" + target.console(), evidence, "");
                    }
                }
                evidence.add(cfg + ": no kernel line with console=" + target.console());
            }
        }
        String fix = "add 'console=tty0 console=" + target.console() + (target.console().startsWith("ttyS") ? ",115200n8" : "")
                + "' to GRUB_CMDLINE_LINUX in /etc/default/grub, then " + distro.updateGrub();
        if (!anyFile) {
            evidence.add("neither /etc/default/grub nor a grub.cfg");
            return new Finding("console.serial", Status.UNKNOWN, want, "", evidence, fix);
        }
        return new Finding("console.serial", Status.FAIL, want, "no console=" + target.console(), evidence, fix);
    }
}
