package dev.chameleon.actuators;

import dev.chameleon.host.Command;
import dev.chameleon.host.CommandResult;
import dev.chameleon.host.CommandRunner;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * Stand-ins for {@code update-initramfs -u -k REL} and {@code dracut -f IMAGE REL} acting on a
 * fixture root. They are stand-ins because the real tools read the running system's
 * {@code /lib/modules} and hooks and cannot build an image for a temporary folder (and this machine
 * has no kernel modules at all); the real {@code update-initramfs} runs in the Debian guest of the
 * VM suite. What they write is a real initramfs in the layout both tools give: an uncompressed
 * early cpio (microcode), then a gzip-compressed newc cpio holding {@code init}, the modules the
 * tool's configuration names ({@code /etc/initramfs-tools/modules};
 * {@code add_drivers+=} in {@code /etc/dracut.conf.d/*.conf}) and the modules "the hardware needs"
 * ({@code /fake/initramfs/dep}, as {@code MODULES=dep} gives), each copied from
 * {@code /lib/modules/REL/} as {@code modules.dep} places it. Each build writes a new build id, so
 * two builds never have the same bytes (as with the real tools' timestamps).
 */
final class FakeInitramfsTools implements CommandRunner {
    final Path root;
    final List<String> calls = new ArrayList<>();
    final Map<String, Duration> timeouts = new LinkedHashMap<>();
    /** Programs that fail when run. */
    final Set<String> failing = new HashSet<>();
    private static int builds;

    FakeInitramfsTools(Path root) {
        this.root = root;
    }

    /** The commands that changed something (the listing tools, tried first by every read, left out). */
    List<String> rebuilds() {
        return calls.stream().filter(c -> !c.startsWith("lsinitr")).toList();
    }

    @Override
    public String describe() {
        return "stand-in initramfs tools";
    }

    @Override
    public CommandResult run(Command command, Duration timeout) {
        calls.add(command.display());
        timeouts.put(command.display(), timeout);
        List<String> a = command.argv();
        try {
            return switch (a.get(0)) {
                case "update-initramfs" -> {
                    String rel = a.get(3);
                    Path image = root.resolve("boot/initrd.img-" + rel);
                    if (failing.contains("update-initramfs")) {
                        yield fail("update-initramfs: failed for /boot/initrd.img-" + rel + " with 1.");
                    }
                    if (!Files.exists(image)) {
                        yield fail("/boot/initrd.img-" + rel + " does not exist. Cannot update.");
                    }
                    Set<String> mods = new LinkedHashSet<>(dep());
                    mods.addAll(listed(Files.readString(root.resolve("etc/initramfs-tools/modules"))));
                    build(root, rel, mods, image);
                    yield new CommandResult(CommandResult.Status.RAN, 0, "update-initramfs: Generating /boot/initrd.img-" + rel + "\n", "", "fake");
                }
                case "dracut" -> {
                    if (failing.contains("dracut")) {
                        yield fail("dracut: FAILED");
                    }
                    Set<String> mods = new LinkedHashSet<>(dep());
                    Path conf = root.resolve("etc/dracut.conf.d");
                    if (Files.isDirectory(conf)) {
                        try (Stream<Path> s = Files.list(conf)) {
                            for (Path p : s.filter(p -> p.toString().endsWith(".conf")).sorted().toList()) {
                                Matcher m = Pattern.compile("add_drivers\\+=\"([^\"]*)\"").matcher(Files.readString(p));
                                while (m.find()) {
                                    mods.addAll(List.of(m.group(1).strip().split("\\s+")));
                                }
                            }
                        }
                    }
                    build(root, a.get(3), mods, root.resolve(a.get(2).substring(1)));
                    yield new CommandResult(CommandResult.Status.RAN, 0, "", "", "fake");
                }
                default -> CommandResult.notAvailable("fake", a.get(0) + ": not installed");
            };
        } catch (IOException e) {
            return fail(e.toString());
        }
    }

    private List<String> dep() throws IOException {
        Path p = root.resolve("fake/initramfs/dep");
        return Files.exists(p) ? listed(Files.readString(p)) : List.of();
    }

    static List<String> listed(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (!l.isEmpty() && !l.startsWith("#")) {
                out.add(l.split("\\s+")[0]);
            }
        }
        return out;
    }

    static CommandResult fail(String err) {
        return new CommandResult(CommandResult.Status.RAN, 1, "", err, "fake");
    }

    /** Writes an initramfs for kernel {@code rel} holding {@code modules} (names as modules.dep has them) to {@code out}. */
    static void build(Path root, String rel, Collection<String> modules, Path out) throws IOException {
        Map<String, String> paths = new LinkedHashMap<>();
        for (String line : Files.readAllLines(root.resolve("lib/modules/" + rel + "/modules.dep"))) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                String p = line.substring(0, colon);
                String name = p.substring(p.lastIndexOf('/') + 1).replaceFirst("\\.ko(\\..*)?$", "").replace('-', '_');
                paths.put(name, p);
            }
        }
        Files.createDirectories(out.getParent());
        try (OutputStream raw = Files.newOutputStream(out)) {
            CpioArchiveOutputStream early = new CpioArchiveOutputStream(raw, CpioConstants.FORMAT_NEW, 512);
            add(early, "kernel/x86/microcode/GenuineIntel.bin", "microcode\n".getBytes(StandardCharsets.US_ASCII));
            early.finish();
            GzipCompressorOutputStream gz = new GzipCompressorOutputStream(raw);
            CpioArchiveOutputStream main = new CpioArchiveOutputStream(gz, CpioConstants.FORMAT_NEW, 512);
            add(main, "init", "#!/bin/sh\nexec /sbin/init\n".getBytes(StandardCharsets.US_ASCII));
            add(main, "etc/build-id", ("build " + (++builds) + " " + System.nanoTime() + "\n").getBytes(StandardCharsets.US_ASCII));
            for (String m : modules) {
                String p = paths.get(m.replace('-', '_'));
                if (p != null) {
                    add(main, "usr/lib/modules/" + rel + "/" + p, Files.readAllBytes(root.resolve("lib/modules/" + rel + "/" + p)));
                }
            }
            main.finish();
            gz.finish();
        }
    }

    private static void add(CpioArchiveOutputStream cpio, String name, byte[] content) throws IOException {
        CpioArchiveEntry e = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, name, content.length);
        e.setMode(CpioConstants.C_ISREG | 0644);
        cpio.putArchiveEntry(e);
        cpio.write(content);
        cpio.closeArchiveEntry();
    }
}
