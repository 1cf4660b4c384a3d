package dev.chameleon.policy;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelProtoAbstractSyntaxTree;
import dev.cel.expr.CheckedExpr;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Checked CEL expressions kept between runs, so a condition is type-checked once, not in every
 * {@code plan}: the checked AST in cel-java's protobuf form ({@code CheckedExpr}), one file per
 * expression, named by the SHA-256 of what decides the result of checking: the expression's
 * text, its element variable, the fact schema ({@value FactSchema#RESOURCE}, byte for byte) and
 * the helper functions' declarations. A changed expression or schema is another name, so a stale
 * entry is never found.
 *
 * <p>Where: entries built into the jar for the built-in pack (compiled when the jar is built,
 * {@link #main}), then the folder named by the system property {@value #PROPERTY} or the
 * environment variable {@code CHAMELEON_CEL_CACHE} ({@code off}: no folder), by default
 * {@code /var/cache/chameleon/cel} for root and {@code $XDG_CACHE_HOME/chameleon/cel} (or
 * {@code ~/.cache/chameleon/cel}) for other users. The folder is made mode 0700.
 *
 * <p>An entry file: {@code chameleon-cel 1}, the key, the SHA-256 of the payload (one line
 * each), then the payload. An entry whose key or checksum does not match, or whose payload does
 * not parse, is never used: the expression is compiled again and the entry written anew. Writes
 * go to a temporary file renamed into place; a folder that cannot be written only costs the
 * compile. Thread-safe.
 */
final class ConditionCache {
    /** The system property naming the cache folder ({@code off}: none). */
    static final String PROPERTY = "chameleon.cel.cache";
    /** Where the built-in pack's entries are in the jar. */
    static final String BUILT_IN = "/dev/chameleon/policy/cel-cache/";
    private static final String MAGIC = "chameleon-cel 1";

    private static volatile String salt;
    private static final java.util.concurrent.atomic.AtomicLong HITS = new java.util.concurrent.atomic.AtomicLong();

    private ConditionCache() {
    }

    /** How many expressions were taken from the cache instead of compiled, since this process started. */
    static long hits() {
        return HITS.get();
    }

    /** The cache folder in use; null when off. */
    static Path folder() {
        String v = System.getProperty(PROPERTY);
        if (v == null) {
            v = System.getenv("CHAMELEON_CEL_CACHE");
        }
        if (v != null) {
            return v.isBlank() || v.equals("off") ? null : Path.of(v);
        }
        if ("root".equals(System.getProperty("user.name"))) {
            return Path.of("/var/cache/chameleon/cel");
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        String home = System.getProperty("user.home");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "chameleon", "cel");
        }
        return home == null || home.isBlank() ? null : Path.of(home, ".cache", "chameleon", "cel");
    }

    /** The entry's name: SHA-256 over the schema and functions ({@link #salt()}), the element variable and the text. */
    static String key(String compiler, String text) {
        return sha256((salt() + "\0" + compiler + "\0" + text).getBytes(StandardCharsets.UTF_8));
    }

    /** What every key depends on besides the expression: the fact schema's bytes and the functions' declarations. */
    private static String salt() {
        String s = salt;
        if (s == null) {
            byte[] schema;
            try (InputStream in = FactSchema.class.getResourceAsStream(FactSchema.RESOURCE)) {
                schema = in == null ? new byte[0] : in.readAllBytes();
            } catch (IOException e) {
                schema = new byte[0];
            }
            s = salt = sha256(schema) + "/" + sha256(Functions.declarations().toString().getBytes(StandardCharsets.UTF_8));
        }
        return s;
    }

    /** The checked AST kept for {@code key}: built in, else in the folder; null when absent or not to be trusted. */
    static CelAbstractSyntaxTree get(String key) {
        byte[] entry = null;
        try (InputStream in = ConditionCache.class.getResourceAsStream(BUILT_IN + key)) {
            if (in != null) {
                entry = in.readAllBytes();
            }
        } catch (IOException e) {
            entry = null;
        }
        CelAbstractSyntaxTree ast = entry == null ? null : decode(key, entry);
        Path dir = folder();
        if (ast == null && dir != null) {
            try {
                ast = decode(key, Files.readAllBytes(dir.resolve(key)));
            } catch (IOException | RuntimeException e) {
                ast = null;
            }
        }
        if (ast != null) {
            HITS.incrementAndGet();
        }
        return ast;
    }

    /** Keeps {@code ast} under {@code key} in the folder; a folder that cannot be written is left as it is. */
    static void put(String key, CelAbstractSyntaxTree ast) {
        Path dir = folder();
        if (dir == null) {
            return;
        }
        try {
            write(dir, key, ast);
        } catch (IOException | RuntimeException e) {
            // a read-only or full disk costs only the compile next time
        }
    }

    static void write(Path dir, String key, CelAbstractSyntaxTree ast) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            try {
                Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system
            }
        }
        byte[] entry = encode(key, ast);
        Path tmp = Files.createTempFile(dir, ".entry", ".tmp");
        try {
            Files.write(tmp, entry);
            try {
                Files.move(tmp, dir.resolve(key), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir.resolve(key), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static byte[] encode(String key, CelAbstractSyntaxTree ast) {
        byte[] payload = CelProtoAbstractSyntaxTree.fromCelAst(ast).toCheckedExpr().toByteArray();
        byte[] head = (MAGIC + "\n" + key + "\n" + sha256(payload) + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] all = Arrays.copyOf(head, head.length + payload.length);
        System.arraycopy(payload, 0, all, head.length, payload.length);
        return all;
    }

    /** The AST in {@code entry} when its header names {@code key} and its payload has the recorded checksum; else null. */
    static CelAbstractSyntaxTree decode(String key, byte[] entry) {
        String expect = MAGIC + "\n" + key + "\n";
        byte[] e = expect.getBytes(StandardCharsets.US_ASCII);
        int headLen = e.length + 64 + 1;
        if (entry.length < headLen || !Arrays.equals(entry, 0, e.length, e, 0, e.length) || entry[headLen - 1] != '\n') {
            return null;
        }
        String sum = new String(entry, e.length, 64, StandardCharsets.US_ASCII);
        byte[] payload = Arrays.copyOfRange(entry, headLen, entry.length);
        if (!sha256(payload).equals(sum)) {
            return null;
        }
        try {
            CheckedExpr checked = CheckedExpr.parseFrom(payload);
            CelAbstractSyntaxTree ast = CelProtoAbstractSyntaxTree.fromCheckedExpr(checked).getAst();
            return ast.isChecked() ? ast : null;
        } catch (com.google.protobuf.InvalidProtocolBufferException | RuntimeException ex) {
            return null;
        }
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Build step: compiles the built-in pack with the cache folder {@code args[0]}, so its entries
     * are made when the jar is built and shipped in it ({@link #BUILT_IN}).
     */
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        Files.createDirectories(out);
        try (var old = Files.list(out)) {
            for (Path p : (Iterable<Path>) old::iterator) {
                Files.delete(p); // entries of an earlier build: only this pack's go into the jar
            }
        }
        System.setProperty(PROPERTY, out.toString());
        PolicySet.compile(PolicySet.defaultPack());
        try (var s = Files.list(out)) {
            System.out.println("chameleon: " + s.count() + " checked CEL expressions of the built-in pack in " + out);
        }
    }
}
