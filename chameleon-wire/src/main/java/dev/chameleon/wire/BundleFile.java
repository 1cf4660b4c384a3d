package dev.chameleon.wire;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One file of a bundle.
 *
 * @param name    a relative path ({@code .manifest}, {@code policies/web-tier.yaml}): segments of
 *                {@code [A-Za-z0-9._-]}, no {@code ..}, no leading {@code /}
 * @param content the file's text (UTF-8 on disk); hashed as its UTF-8 bytes
 */
public record BundleFile(String name, String content) {
    public BundleFile {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(content, "content");
    }

    /** The bytes that are hashed and written to disk. */
    public byte[] bytes() {
        return content.getBytes(StandardCharsets.UTF_8);
    }

    /** Whether a name is a safe relative path for a bundle file. */
    public static boolean validName(String name) {
        if (name.isEmpty() || name.length() > 255 || name.startsWith("/") || name.endsWith("/")) {
            return false;
        }
        for (String seg : name.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..") || !seg.matches("[A-Za-z0-9._-]+")) {
                return false;
            }
        }
        return true;
    }
}
