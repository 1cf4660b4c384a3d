package dev.chameleon.actuators;

import dev.chameleon.host.Command;
import dev.chameleon.host.CommandResult;
import dev.chameleon.host.Host;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import dev.chameleon.host.HostFile;
import dev.chameleon.host.SysRoot;
import org.apache.commons.compress.archivers.ArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * The file names inside an initramfs image. The distribution's own tool first, through the
 * host's command runner ({@code lsinitramfs} on Debian/Ubuntu, {@code lsinitrd} on dracut
 * systems; with {@code --root} alone no command runs), else read here: the image is a series of
 * cpio (newc) archives, each optionally compressed (an uncompressed early-microcode archive, then
 * the main one in gzip, xz, zstd or bzip2), listed with commons-compress (zstd: aircompressor).
 * Used by {@code chameleon readiness} (engine) and by the {@code initramfs} actuator, so both
 * decide "the image holds module X" the same way.
 */
public final class InitramfsListing {
    /** Longest the distribution's tool may take. */
    public static final Duration TOOL_TIMEOUT = Duration.ofSeconds(30);
    /** Most entries read from one image (a Debian MODULES=most image has about 2 000). */
    static final int MAX_ENTRIES = 200_000;

    private InitramfsListing() {
    }

    /**
     * The listing.
     *
     * @param paths  the entries' paths, as the archive names them ({@code usr/lib/modules/6.1.0-28-amd64/kernel/drivers/block/virtio_blk.ko})
     * @param method how they were read: {@code lsinitramfs}, {@code lsinitrd}, or {@code cpio reader (zstd)}
     */
    public record Listing(List<String> paths, String method) {
    }

    private static final Pattern MODULE_FILE = Pattern.compile("(?:^|/)([^/]+)\\.ko(?:\\.(?:xz|zst|gz))?$");

    /** A module name as the kernel compares it: {@code -} and {@code _} are the same ({@code xen-blkfront} is {@code xen_blkfront}). */
    public static String norm(String module) {
        return module.replace('-', '_');
    }

    /** The modules among {@code paths} ({@code NAME.ko}, {@code .ko.xz|.zst|.gz}): normalised name → the first path holding it. */
    public static Map<String, String> modules(List<String> paths) {
        Map<String, String> where = new LinkedHashMap<>();
        for (String p : paths) {
            Matcher m = MODULE_FILE.matcher(p);
            if (m.find()) {
                where.putIfAbsent(norm(m.group(1)), p);
            }
        }
        return where;
    }

    /** The modules built into kernel {@code release} ({@code /lib/modules/REL/modules.builtin}, or under {@code /usr/lib}), normalised. */
    public static Set<String> builtin(SysRoot root, String release) {
        Set<String> out = new LinkedHashSet<>();
        for (String dir : List.of("/lib/modules/", "/usr/lib/modules/")) {
            HostFile f = root.read(dir + release + "/modules.builtin");
            if (f.isPresent()) {
                for (String line : f.text().split("\n")) {
                    Matcher m = Pattern.compile("([^/]+)\\.ko$").matcher(line.strip());
                    if (m.find()) {
                        out.add(norm(m.group(1)));
                    }
                }
            }
        }
        return out;
    }

    /** Lists the image at {@code machinePath} on {@code host}; an unreadable or corrupt image is an {@link IOException} saying what and where. */
    public static Listing list(Host host, String machinePath) throws IOException {
        for (String tool : List.of("lsinitramfs", "lsinitrd")) {
            CommandResult r = host.commands().run(Command.named(tool, tool, machinePath), TOOL_TIMEOUT);
            if (r.ok()) {
                List<String> paths = new ArrayList<>();
                for (String line : r.stdout().split("\n")) {
                    String l = line.strip();
                    int arrow = l.indexOf(" -> ");
                    if (arrow >= 0) {
                        l = l.substring(0, arrow);
                    }
                    if (!l.isEmpty()) {
                        paths.add(l.substring(l.lastIndexOf(' ') + 1));
                    }
                }
                return new Listing(paths, tool);
            }
        }
        Path file = host.root().resolve(machinePath);
        try (InputStream in = Files.newInputStream(file)) {
            List<String> methods = new ArrayList<>();
            List<String> paths = read(in, methods);
            return new Listing(paths, "cpio reader (" + (methods.isEmpty() ? "uncompressed" : String.join(", ", methods)) + ")");
        }
    }

    /** The entries of a series of (compressed) cpio archives; {@code methods} gets each compression met. */
    static List<String> read(InputStream raw, List<String> methods) throws IOException {
        List<String> out = new ArrayList<>();
        PushbackInputStream in = new PushbackInputStream(new BufferedInputStream(raw), 8);
        int archives = 0;
        while (true) {
            int b;
            do {
                b = in.read();
            } while (b == 0);
            if (b < 0) {
                if (archives == 0) {
                    throw new IOException("empty: no cpio archive in it");
                }
                return out;
            }
            byte[] head = new byte[6];
            head[0] = (byte) b;
            int n = 1 + Math.max(0, in.readNBytes(head, 1, 5));
            in.unread(head, 0, n);
            String magic = HexFormat.of().formatHex(head, 0, n);
            try {
                if (magic.startsWith("303730373031") || magic.startsWith("303730373032")) { // "070701" newc, "070702" crc
                    // block size 4: the archive's own padding only; the zeros up to the next archive are skipped above
                    CpioArchiveInputStream cpio = new CpioArchiveInputStream(in, 4);
                    ArchiveEntry e;
                    while ((e = cpio.getNextEntry()) != null) {
                        if (out.size() >= MAX_ENTRIES) {
                            throw new IOException("more than " + MAX_ENTRIES + " entries; not an initramfs");
                        }
                        out.add(e.getName());
                    }
                    archives++;
                } else if (magic.startsWith("1f8b")) {
                    methods.add("gzip");
                    in = new PushbackInputStream(new GzipCompressorInputStream(in, true), 8);
                } else if (magic.startsWith("fd377a585a00")) {
                    methods.add("xz");
                    in = new PushbackInputStream(new XZCompressorInputStream(in, true), 8);
                } else if (magic.startsWith("28b52ffd")) {
                    methods.add("zstd");
                    in = new PushbackInputStream(new io.airlift.compress.zstd.ZstdInputStream(in), 8);
                } else if (magic.startsWith("425a68")) {
                    methods.add("bzip2");
                    in = new PushbackInputStream(new BZip2CompressorInputStream(in, true), 8);
                } else {
                    throw new IOException("after " + out.size() + " entries: neither a cpio archive nor gzip, xz, zstd or bzip2 (bytes "
                            + magic + ")" + (magic.startsWith("02214c18") ? "; lz4 legacy images need lsinitramfs/lsinitrd" : ""));
                }
            } catch (IOException | RuntimeException e) {
                if (e instanceof IOException io && io.getMessage() != null && io.getMessage().startsWith("after ")) {
                    throw io;
                }
                throw new IOException("corrupt after " + out.size() + " entries: " + e.getMessage(), e);
            }
        }
    }
}
