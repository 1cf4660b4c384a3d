package dev.chameleon.actuators;

import dev.chameleon.host.Command;
import dev.chameleon.host.Host;
import dev.chameleon.host.SysRoot;
import dev.chameleon.model.SettingKey;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The initramfs of a kernel holds a list of drivers: {@code initramfs:RELEASE/D1,D2} (release, or
 * {@code running} for the kernel in {@code /proc/sys/kernel/osrelease}) is {@code present} when
 * every driver is in the image (as {@code NAME.ko[.xz|.zst|.gz]}) or built into the kernel
 * ({@code modules.builtin}).
 *
 * <p>The distribution's own tool rebuilds the image: with initramfs-tools
 * ({@code /etc/initramfs-tools} exists; Debian, Ubuntu) the missing drivers are appended to
 * {@code /etc/initramfs-tools/modules} and {@code update-initramfs -u -k RELEASE} runs, image
 * {@code /boot/initrd.img-RELEASE}; with dracut ({@code /etc/dracut.conf.d}; RHEL family, Fedora,
 * SUSE) they go to {@code add_drivers+=" … "} in {@code /etc/dracut.conf.d/90-chameleon.conf} and
 * {@code dracut -f /boot/initramfs-RELEASE.img RELEASE} runs.
 *
 * <p>Undo is byte for byte. A value read from the machine carries the SHA-256 of the image and of
 * the configuration file ({@code missing virtio_blk image=sha256:HEX config=sha256:HEX|absent}).
 * Before the first write, the image and the configuration file are copied to
 * {@code /var/lib/chameleon/initramfs/NAME.SHA256}; an undo (a write of such a value) copies them
 * back atomically (temporary file, fsync, rename, fsync of the folder) and deletes the copies; a
 * configuration that was absent is removed. Verify compares the hashes, so an undo that is not
 * exact fails as such. A kept copy missing at undo is an error naming the command that rebuilds the
 * image instead.
 *
 * <p>Not applicable: neither tool is installed, the kernel has no {@code /lib/modules/RELEASE},
 * a driver is not a module of that kernel (not in {@code modules.dep}, not built in: adding it
 * would give an image that still lacks it), there is no image for the kernel.
 */
public final class InitramfsActuator implements Actuator {
    /** Where the previous images and configuration files are kept until a rollback puts them back. */
    static final String KEPT = "/var/lib/chameleon/initramfs";
    static final String INITRAMFS_TOOLS_MODULES = "/etc/initramfs-tools/modules";
    static final String DRACUT_CONF = "/etc/dracut.conf.d/90-chameleon.conf";
    /** mkinitramfs/dracut compress a whole module tree: seconds on a VM, minutes under emulation. */
    static final Duration REBUILD = Duration.ofMinutes(10);
    static final String PRESENT = "present";
    private static final Pattern ENCODED = Pattern.compile(
            "(present|missing [A-Za-z0-9_,]+) image=sha256:([0-9a-f]{64}) config=(absent|sha256:[0-9a-f]{64})");
    private static final Pattern DRACUT_LINE = Pattern.compile("^add_drivers\\+=\"([^\"]*)\"\\s*$", Pattern.MULTILINE);

    /** initramfs-tools or dracut: where the drivers are listed, the image's name, the rebuild command. */
    enum Tool {
        INITRAMFS_TOOLS(INITRAMFS_TOOLS_MODULES, "/boot/initrd.img-"),
        DRACUT(DRACUT_CONF, "/boot/initramfs-");

        final String config;
        final String imagePrefix;

        Tool(String config, String imagePrefix) {
            this.config = config;
            this.imagePrefix = imagePrefix;
        }

        String image(String release) {
            return this == INITRAMFS_TOOLS ? imagePrefix + release : imagePrefix + release + ".img";
        }

        Command rebuild(String release) {
            return this == INITRAMFS_TOOLS ? Command.of("update-initramfs", "-u", "-k", release)
                    : Command.of("dracut", "-f", image(release), release);
        }
    }

    @Override
    public String kind() {
        return "initramfs";
    }

    static Optional<Tool> tool(SysRoot root) {
        if (root.isDirectory("/etc/initramfs-tools")) {
            return Optional.of(Tool.INITRAMFS_TOOLS);
        }
        if (root.isDirectory("/etc/dracut.conf.d") || root.exists("/etc/dracut.conf")) {
            return Optional.of(Tool.DRACUT);
        }
        return Optional.empty();
    }

    @Override
    public Optional<String> unavailable(Host host) {
        return tool(host.root()).isPresent() ? Optional.empty()
                : Optional.of("neither initramfs-tools (/etc/initramfs-tools) nor dracut (/etc/dracut.conf.d) is here");
    }

    /** The key's kernel ({@code running} or a release) and its drivers. */
    record Target(String kernel, List<String> drivers) {
        static Target of(SettingKey key) {
            String t = key.target();
            int slash = t.indexOf('/');
            if (slash <= 0 || slash == t.length() - 1) {
                return null;
            }
            return new Target(t.substring(0, slash), Arrays.asList(t.substring(slash + 1).split(",")));
        }
    }

    /** The release the key means: itself, or the running kernel's. Empty when the running kernel cannot be read. */
    static Optional<String> release(SysRoot root, Target t) {
        return t.kernel().equals("running") ? root.readTrimmed("/proc/sys/kernel/osrelease").filter(s -> !s.isEmpty())
                : Optional.of(t.kernel());
    }

    @Override
    public Current read(Host host, SettingKey key) {
        Target t = Target.of(key);
        if (t == null) {
            return Current.notApplicable("'" + key.target() + "' is not KERNEL/DRIVER,DRIVER");
        }
        SysRoot root = host.root();
        Optional<Tool> tool = tool(root);
        if (tool.isEmpty()) {
            return Current.notApplicable(unavailable(host).orElseThrow());
        }
        Optional<String> rel = release(root, t);
        if (rel.isEmpty()) {
            return Current.error("cannot read the running kernel's release (/proc/sys/kernel/osrelease)");
        }
        String release = rel.get();
        Set<String> builtin = InitramfsListing.builtin(root, release);
        Set<String> modules;
        try {
            modules = modulesOf(root, release);
        } catch (NoSuchFileException e) {
            return Current.notApplicable("kernel " + release + " has no /lib/modules/" + release + "/modules.dep");
        } catch (IOException e) {
            return Current.error("cannot read /lib/modules/" + release + "/modules.dep: " + KernelFileActuator.kernelAnswer(e));
        }
        for (String d : t.drivers()) {
            if (!modules.contains(InitramfsListing.norm(d)) && !builtin.contains(InitramfsListing.norm(d))) {
                return Current.notApplicable(d + " is not a module of kernel " + release + " (not in /lib/modules/" + release
                        + "/modules.dep nor modules.builtin)");
            }
        }
        String image = tool.get().image(release);
        if (!root.exists(image)) {
            return Current.notApplicable("no initramfs " + image + " for kernel " + release);
        }
        InitramfsListing.Listing listing;
        try {
            listing = InitramfsListing.list(host, image);
        } catch (IOException | RuntimeException e) {
            return Current.error("cannot read " + image + ": " + e.getMessage());
        }
        Map<String, String> inImage = InitramfsListing.modules(listing.paths());
        List<String> missing = t.drivers().stream()
                .filter(d -> !inImage.containsKey(InitramfsListing.norm(d)) && !builtin.contains(InitramfsListing.norm(d))).toList();
        String imageHash;
        String configHash;
        try {
            imageHash = sha256(root.resolve(image));
            configHash = Files.exists(root.resolve(tool.get().config)) ? "sha256:" + sha256(root.resolve(tool.get().config)) : "absent";
        } catch (IOException e) {
            return Current.error("cannot read " + image + " or " + tool.get().config + ": " + KernelFileActuator.kernelAnswer(e));
        }
        return Current.value((missing.isEmpty() ? PRESENT : "missing " + String.join(",", missing)) + " image=sha256:" + imageHash
                + " config=" + configHash);
    }

    /** The modules of a kernel, normalised, from {@code modules.dep} (read whole: it can pass 1 MiB). */
    static Set<String> modulesOf(SysRoot root, String release) throws IOException {
        Path dep = root.resolve("/lib/modules/" + release + "/modules.dep");
        if (!Files.exists(dep)) {
            dep = root.resolve("/usr/lib/modules/" + release + "/modules.dep");
        }
        List<String> paths = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(dep, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    paths.add(line.substring(0, colon));
                }
            }
        }
        return InitramfsListing.modules(paths).keySet();
    }

    @Override
    public Current resolve(SettingKey key, String desired, String current) {
        String d = normalize(key, desired);
        if (d.equals(PRESENT) || ENCODED.matcher(d).matches()) {
            return Current.value(d);
        }
        return Current.notApplicable("initramfs takes present (the drivers are in the image), found '" + d + "'");
    }

    /** {@code present} is fulfilled by any image holding the drivers; a value with hashes (an undo) only by those exact bytes. */
    @Override
    public boolean satisfies(SettingKey key, String target, String found) {
        if (target.equals(PRESENT)) {
            return found.equals(PRESENT) || found.startsWith(PRESENT + " ");
        }
        return target.equals(found);
    }

    @Override
    public String describe(SettingKey key, String value) {
        return value.replaceAll("sha256:([0-9a-f]{12})[0-9a-f]{52}", "sha256:$1");
    }

    @Override
    public void write(Host host, SettingKey key, String value, String before) throws ActuatorException {
        String what = "initramfs " + key.target() + " = " + describe(key, value);
        Target t = Target.of(key);
        SysRoot root = host.root();
        Optional<Tool> tool = tool(root);
        Optional<String> rel = t == null ? Optional.empty() : release(root, t);
        if (t == null || tool.isEmpty() || rel.isEmpty()) {
            throw new ActuatorException(what + ": " + (t == null ? "not KERNEL/DRIVER,DRIVER" : tool.isEmpty() ? unavailable(host).orElseThrow()
                    : "cannot read the running kernel's release"));
        }
        String release = rel.get();
        Tool tl = tool.get();
        String image = tl.image(release);
        Matcher m = ENCODED.matcher(value);
        try {
            if (m.matches()) {
                restore(root, tl, image, m.group(2), m.group(3), what);
                return;
            }
            if (!value.equals(PRESENT)) {
                throw new ActuatorException(what + ": initramfs takes present");
            }
        } catch (IOException e) {
            throw new ActuatorException(what + ": " + KernelFileActuator.kernelAnswer(e), e);
        }
        String imageHash;
        String configHash;
        try {
            imageHash = keep(root, image);
            configHash = Files.exists(root.resolve(tl.config)) ? "sha256:" + keep(root, tl.config) : "absent";
        } catch (IOException e) {
            throw new ActuatorException(what + ": cannot keep a copy of " + image + " and " + tl.config + " in " + KEPT + " ("
                    + KernelFileActuator.kernelAnswer(e) + "); nothing was changed", e);
        }
        try {
            addDrivers(host, tl, t.drivers(), key, what);
            Commands.run(host, tl.rebuild(release), REBUILD, what);
        } catch (ActuatorException | IOException | RuntimeException e) {
            // The write is whole or nothing: the journal's undo skips a change whose value reads as before, so
            // the configuration, the image and the kept copies are put back here, before the error goes up.
            String failure = e instanceof ActuatorException ? e.getMessage() : what + ": " + e.getMessage();
            try {
                restore(root, tl, image, imageHash, configHash, what);
            } catch (IOException | ActuatorException | RuntimeException r) {
                throw new ActuatorException(failure + "; putting back the previous image and configuration failed too: " + r.getMessage(), e);
            }
            throw new ActuatorException(failure + " (the previous image and configuration are back)", e);
        }
    }

    /** Copies a file to {@code KEPT/NAME.SHA256} unless that copy is already there; returns the hash. */
    static String keep(SysRoot root, String path) throws IOException {
        Path src = root.resolve(path);
        String hash = sha256(src);
        Path dir = root.resolve(KEPT);
        Files.createDirectories(dir);
        Path copy = dir.resolve(Path.of(path).getFileName() + "." + hash);
        if (Files.exists(copy) && sha256(copy).equals(hash)) {
            return hash;
        }
        copyAtomically(src, copy);
        if (!sha256(copy).equals(hash)) {
            throw new IOException("the copy " + KEPT + "/" + copy.getFileName() + " of " + path + " does not read back the same");
        }
        return hash;
    }

    /** Puts back the configuration ({@code absent}: removed) and the image with these hashes, then drops the kept copies. */
    static void restore(SysRoot root, Tool tool, String image, String imageHash, String config, String what)
            throws IOException, ActuatorException {
        Path conf = root.resolve(tool.config);
        List<Path> used = new ArrayList<>();
        if (config.equals("absent")) {
            Files.deleteIfExists(conf);
        } else {
            String h = config.substring("sha256:".length());
            if (!Files.exists(conf) || !sha256(conf).equals(h)) {
                Path copy = keptCopy(root, tool.config, h, what, "update the file by hand");
                copyAtomically(copy, conf);
                used.add(copy);
            } else {
                used.add(root.resolve(KEPT).resolve(Path.of(tool.config).getFileName() + "." + h));
            }
        }
        Path img = root.resolve(image);
        if (!Files.exists(img) || !sha256(img).equals(imageHash)) {
            String release = image.replaceFirst("^/boot/(initrd\\.img-|initramfs-)", "").replaceFirst("\\.img$", "");
            Path copy = keptCopy(root, image, imageHash, what, String.join(" ", tool.rebuild(release).argv()));
            copyAtomically(copy, img);
            if (!sha256(img).equals(imageHash)) {
                throw new ActuatorException(what + ": " + image + " does not read back as the kept copy after the copy");
            }
            used.add(copy);
        } else {
            used.add(root.resolve(KEPT).resolve(Path.of(image).getFileName() + "." + imageHash));
        }
        for (Path p : used) {
            Files.deleteIfExists(p);
        }
    }

    private static Path keptCopy(SysRoot root, String path, String hash, String what, String instead) throws ActuatorException {
        Path copy = root.resolve(KEPT).resolve(Path.of(path).getFileName() + "." + hash);
        if (!Files.exists(copy)) {
            throw new ActuatorException(what + ": the kept copy of " + path + " (sha256 " + hash.substring(0, 12) + ") is not in " + KEPT
                    + "; cannot put it back byte for byte (instead: " + instead + ")");
        }
        return copy;
    }

    /** Adds the drivers not yet listed to the tool's configuration; the rebuild is the caller's. */
    private static void addDrivers(Host host, Tool tool, List<String> drivers, SettingKey key, String what)
            throws IOException, ActuatorException {
        SysRoot root = host.root();
        if (tool == Tool.DRACUT) {
            Current cur = ManagedFile.read(host, DRACUT_CONF);
            if (!cur.isValue()) {
                throw new ActuatorException(what + ": " + cur.note());
            }
            Set<String> all = new LinkedHashSet<>();
            Matcher m = DRACUT_LINE.matcher(cur.value());
            while (m.find()) {
                all.addAll(KernelCmdlineActuator.words(m.group(1)));
            }
            all.addAll(drivers);
            ManagedFile.write(host, DRACUT_CONF, "add_drivers+=\" " + String.join(" ", all) + " \"\n", what);
            return;
        }
        Path p = root.resolve(INITRAMFS_TOOLS_MODULES);
        String text = Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
        Set<String> listed = new LinkedHashSet<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (!l.isEmpty() && !l.startsWith("#")) {
                listed.add(InitramfsListing.norm(l.split("\\s+")[0]));
            }
        }
        List<String> add = drivers.stream().filter(d -> !listed.contains(InitramfsListing.norm(d))).toList();
        if (add.isEmpty()) {
            return;
        }
        StringBuilder out = new StringBuilder(text);
        if (!text.isEmpty() && !text.endsWith("\n")) {
            out.append('\n');
        }
        out.append("# added by chameleon for initramfs:").append(key.target()).append("; 'chameleon rollback' restores this file\n");
        add.forEach(d -> out.append(d).append('\n'));
        int mode = Files.exists(p) ? (Integer) Files.getAttribute(p, "unix:mode") & 07777 : 0644;
        SysRoot.writeAtomically(p, out.toString().getBytes(StandardCharsets.UTF_8));
        Files.setAttribute(p, "unix:mode", mode);
    }

    /** Copies {@code src} over {@code dst}: a temporary file beside it (mode and times kept), fsync, rename, fsync of the folder. */
    static void copyAtomically(Path src, Path dst) throws IOException {
        Path tmp = dst.resolveSibling("." + dst.getFileName() + ".chameleon-tmp");
        try {
            Files.copy(src, tmp, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
            try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                c.force(true);
            }
            Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        try (FileChannel d = FileChannel.open(dst.getParent(), StandardOpenOption.READ)) {
            d.force(true);
        } catch (AccessDeniedException | UnsupportedOperationException ignored) {
            // some file systems cannot sync a folder; the rename itself is atomic
        }
    }

    static String sha256(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String manualCommand(SettingKey key, String value) {
        Target t = Target.of(key);
        String rel = t == null || t.kernel().equals("running") ? "$(uname -r)" : t.kernel();
        Matcher m = ENCODED.matcher(value);
        if (m.matches()) {
            String conf = m.group(3).equals("absent") ? "remove " + INITRAMFS_TOOLS_MODULES + " or " + DRACUT_CONF + " (whichever chameleon created)"
                    : "cp " + KEPT + "/<modules|90-chameleon.conf>." + m.group(3).substring(7) + " back over " + INITRAMFS_TOOLS_MODULES + " or " + DRACUT_CONF;
            return "cp " + KEPT + "/<initrd.img-" + rel + "|initramfs-" + rel + ".img>." + m.group(2) + " /boot/  # the image before; then "
                    + conf;
        }
        String drivers = t == null ? "DRIVERS" : String.join(" ", t.drivers());
        return "printf '%s\\n' " + drivers + " >> " + INITRAMFS_TOOLS_MODULES + " && update-initramfs -u -k " + rel
                + "  # dracut: add_drivers+=\" " + drivers + " \" in " + DRACUT_CONF + " && dracut -f /boot/initramfs-" + rel + ".img " + rel;
    }
}
