package dev.chameleon.cli.vm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * A tiny writer of gzip'd "newc" cpio archives (the initramfs format), enough for the
 * per-scenario overlay that is appended to the base initramfs. Entries are owned by root;
 * parent directories are created as needed.
 */
final class NewcCpio {
    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;

    private final Map<String, byte[]> files = new LinkedHashMap<>();
    private final Map<String, Integer> modes = new LinkedHashMap<>();

    /** Adds a regular file; {@code path} is relative to the guest root, e.g. {@code "steps/01.sh"}. */
    NewcCpio file(String path, String content, int mode) {
        files.put(path, content.getBytes(StandardCharsets.UTF_8));
        modes.put(path, mode);
        return this;
    }

    byte[] toGzip() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            int ino = 1;
            Map<String, Boolean> dirs = new LinkedHashMap<>();
            for (String path : files.keySet()) {
                for (int i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
                    dirs.putIfAbsent(path.substring(0, i), true);
                }
            }
            for (String dir : dirs.keySet()) {
                entry(gz, ino++, dir, S_IFDIR | 0755, new byte[0]);
            }
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                entry(gz, ino++, f.getKey(), S_IFREG | modes.get(f.getKey()), f.getValue());
            }
            entry(gz, 0, "TRAILER!!!", 0, new byte[0]);
        }
        return bytes.toByteArray();
    }

    private static void entry(OutputStream out, int ino, String name, int mode, byte[] data) throws IOException {
        byte[] nameBytes = (name + "\0").getBytes(StandardCharsets.UTF_8);
        int nlink = (mode & S_IFDIR) != 0 ? 2 : 1;
        String header = String.format("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
                ino, mode, 0, 0, nlink, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0);
        out.write(header.getBytes(StandardCharsets.US_ASCII));
        out.write(nameBytes);
        pad(out, 110 + nameBytes.length);
        out.write(data);
        pad(out, data.length);
    }

    private static void pad(OutputStream out, int length) throws IOException {
        for (int i = length; i % 4 != 0; i++) {
            out.write(0);
        }
    }
}
