package dev.chameleon.actuators;

import dev.chameleon.model.SettingEncodings;
import dev.chameleon.host.Host;
import dev.chameleon.host.HostFile;
import dev.chameleon.host.SysRoot;
import dev.chameleon.model.SettingKey;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Managed files and drop-ins: {@code file:/etc/security/limits.d/90-app.conf}.
 *
 * <p>The value is {@code absent}, or {@code mode=0644 owner=UID:GID sha256=HEX16 content=BASE64}:
 * the permission bits in octal, the numeric owner and group, the first 16 hex digits of the SHA-256
 * of the content (for people and for comparing), and the whole content in Base64, so that the
 * previous content of a replaced file is kept in the journal and undo restores it byte for byte. A
 * desired value may leave out {@code mode} and {@code owner} (kept as they are; {@code 0644} and
 * {@code 0:0} for a new file) and may give the owner as names ({@code owner=root:adm}), looked up in
 * the machine's {@code /etc/passwd} and {@code /etc/group}.
 *
 * <p>Writes are atomic: a temporary file beside the target gets the content, mode and owner, is
 * fsync'd and renamed over the target; the folder is fsync'd. Undoing a created file deletes it.
 * Not applicable for paths under {@code /proc}, {@code /sys}, {@code /dev}, for folders, symbolic
 * links, and files over 1 MiB.
 */
public final class FileActuator implements Actuator {
    @Override
    public String kind() {
        return "file";
    }

    /** The parsed fields of a value, in canonical order; empty for {@code absent}. */
    static Map<String, String> fields(String value) {
        Map<String, String> m = new LinkedHashMap<>();
        String v = value.strip();
        if (v.equals(SettingEncodings.ABSENT)) {
            return m;
        }
        for (String part : v.split("\\s+")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                m.put(part.substring(0, eq), part.substring(eq + 1));
            }
        }
        return m;
    }

    /** The canonical value for bytes, mode and owner. */
    static String value(byte[] content, int mode, String owner) {
        return "mode=" + String.format("%04o", mode) + " owner=" + owner + " sha256=" + sha(content) + " content="
                + Base64.getEncoder().encodeToString(content);
    }

    static String sha(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content)).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Current checkPath(String path) {
        if (!path.startsWith("/") || path.contains("/../") || path.endsWith("/..") || path.endsWith("/")) {
            return Current.notApplicable("'" + path + "' is not an absolute file path");
        }
        for (String forbidden : new String[] {"/proc/", "/sys/", "/dev/"}) {
            if (path.startsWith(forbidden)) {
                return Current.notApplicable(path + " is a kernel file; use sysctl or sysfs settings");
            }
        }
        return null;
    }

    @Override
    public Current read(Host host, SettingKey key) {
        String path = key.target();
        Current bad = checkPath(path);
        if (bad != null) {
            return bad;
        }
        Path p = host.root().resolve(path);
        if (Files.isSymbolicLink(p)) {
            return Current.notApplicable(path + " is a symbolic link; chameleon manages regular files only");
        }
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return Current.value(SettingEncodings.ABSENT);
        }
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            return Current.notApplicable(path + " is not a regular file");
        }
        try {
            if (Files.size(p) > SysRoot.MAX_READ_BYTES) {
                return Current.notApplicable(path + " is larger than 1 MiB; chameleon manages small files only");
            }
            byte[] content = Files.readAllBytes(p);
            int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
            String owner = Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS) + ":"
                    + Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
            return Current.value(value(content, mode, owner));
        } catch (IOException | RuntimeException e) {
            return Current.error("cannot read " + path + ": " + e.getMessage());
        }
    }

    @Override
    public String normalize(SettingKey key, String value) {
        Map<String, String> f = fields(value);
        if (f.isEmpty()) {
            return value.strip();
        }
        if (f.containsKey("content") && f.containsKey("mode") && f.containsKey("owner")) {
            byte[] c = Base64.getDecoder().decode(f.get("content"));
            return value(c, Integer.parseInt(f.get("mode"), 8), f.get("owner"));
        }
        return value.strip();
    }

    @Override
    public Current resolve(SettingKey key, String desired, String current) {
        return target(null, key, desired, current);
    }

    @Override
    public Current target(Host host, SettingKey key, String desired, Current current) {
        return target(host, key, desired, current.value());
    }

    /** The target; {@code host} null: without the machine (an owner given by name is then unknown, except root). */
    private Current target(Host host, SettingKey key, String desired, String current) {
        if (desired.strip().equals(SettingEncodings.ABSENT)) {
            return Current.value(SettingEncodings.ABSENT);
        }
        Map<String, String> want = fields(desired);
        Map<String, String> now = fields(current);
        if (!want.containsKey("content")) {
            return Current.notApplicable("file " + key.target() + ": no content given");
        }
        byte[] content;
        try {
            content = Base64.getDecoder().decode(want.get("content"));
        } catch (IllegalArgumentException e) {
            return Current.notApplicable("file " + key.target() + ": content is not Base64");
        }
        String modeText = want.getOrDefault("mode", now.getOrDefault("mode", "0644"));
        int mode;
        try {
            mode = Integer.parseInt(modeText, 8);
        } catch (NumberFormatException e) {
            return Current.notApplicable("file " + key.target() + ": mode '" + modeText + "' is not octal");
        }
        if (mode < 0 || mode > 07777) {
            return Current.notApplicable("file " + key.target() + ": mode '" + modeText + "' is out of range");
        }
        String owner = want.getOrDefault("owner", now.getOrDefault("owner", "0:0"));
        String[] og = owner.split(":", 2);
        String uid = id(host, "/etc/passwd", og[0]);
        String gid = id(host, "/etc/group", og.length > 1 ? og[1] : og[0]);
        if (host == null && (uid == null || gid == null)) {
            return Current.unknown("the numeric ids of owner '" + owner + "' (the machine's /etc/passwd and /etc/group)");
        }
        if (uid == null || gid == null) {
            return Current.notApplicable("file " + key.target() + ": owner '" + owner + "' is not known on this machine (/etc/passwd, /etc/group)");
        }
        return Current.value(value(content, mode, uid + ":" + gid));
    }

    /** A numeric id, or the id of a name in a passwd/group file under the root ({@code host} null: only root); null when unknown. */
    static String id(Host host, String file, String nameOrId) {
        if (nameOrId.matches("\\d+")) {
            return nameOrId;
        }
        if (host == null) {
            return nameOrId.equals("root") ? "0" : null;
        }
        HostFile f = host.root().read(file);
        for (String line : f.text().split("\n")) {
            String[] p = line.split(":");
            if (p.length > 2 && p[0].equals(nameOrId)) {
                return p[2];
            }
        }
        return nameOrId.equals("root") ? "0" : null;
    }

    @Override
    public void write(Host host, SettingKey key, String value, String before) throws ActuatorException {
        String path = key.target();
        Path p = host.root().resolve(path);
        String what = "file " + path + " = " + brief(value);
        try {
            if (value.strip().equals(SettingEncodings.ABSENT)) {
                Files.deleteIfExists(p);
                return;
            }
            Map<String, String> f = fields(value);
            byte[] content = Base64.getDecoder().decode(f.get("content"));
            int mode = Integer.parseInt(f.get("mode"), 8);
            String[] og = f.get("owner").split(":");
            Path dir = p.getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + p.getFileName(), ".chameleon-tmp");
            try {
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    ByteBuffer buf = ByteBuffer.wrap(content);
                    while (buf.hasRemaining()) {
                        ch.write(buf);
                    }
                    ch.force(true);
                }
                Files.setAttribute(tmp, "unix:uid", Integer.parseInt(og[0]));
                Files.setAttribute(tmp, "unix:gid", Integer.parseInt(og[1]));
                Files.setAttribute(tmp, "unix:mode", mode);
                try {
                    Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING);
                }
                try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                    d.force(true);
                } catch (IOException ignored) {
                    // some filesystems refuse to fsync a folder; the rename is done
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException | RuntimeException e) {
            String why = e instanceof IOException io ? KernelFileActuator.kernelAnswer(io) : String.valueOf(e.getMessage());
            throw new ActuatorException(what + ": cannot write " + path + " (" + why + ")", e);
        }
    }

    /** The value without its content, for messages: {@code mode=0644 owner=0:0 sha256=…}. */
    static String brief(String value) {
        int i = value.indexOf(" content=");
        return i < 0 ? value : value.substring(0, i);
    }

    @Override
    public String manualCommand(SettingKey key, String value) {
        if (value.strip().equals(SettingEncodings.ABSENT)) {
            return "rm -f " + key.target();
        }
        Map<String, String> f = fields(value);
        return "echo '" + f.getOrDefault("content", "") + "' | base64 -d > " + key.target() + " && chmod " + f.getOrDefault("mode", "0644")
                + " " + key.target() + " && chown " + f.getOrDefault("owner", "0:0") + " " + key.target();
    }
}
