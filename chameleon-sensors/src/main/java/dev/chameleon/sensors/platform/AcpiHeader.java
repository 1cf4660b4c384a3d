package dev.chameleon.sensors.platform;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The identity part of an ACPI system description table header: signature (bytes 0..4),
 * OEM ID (10..16) and OEM table ID (16..24).
 */
public record AcpiHeader(String signature, String oemId, String oemTableId) {
    public static final int HEADER_BYTES = 36;

    /** Parses a table's first bytes; empty when there are fewer than 24 bytes or the signature is not text. */
    public static Optional<AcpiHeader> parse(byte[] bytes) {
        if (bytes == null || bytes.length < 24) {
            return Optional.empty();
        }
        String sig = ascii(bytes, 0, 4);
        if (sig.length() != 4 || !sig.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '_')) {
            return Optional.empty();
        }
        return Optional.of(new AcpiHeader(sig, ascii(bytes, 10, 16), ascii(bytes, 16, 24)));
    }

    /** Printable ASCII of a byte range, NULs and non-printables dropped, trailing blanks trimmed. */
    static String ascii(byte[] b, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to && i < b.length; i++) {
            int c = b[i] & 0xff;
            if (c >= 0x20 && c < 0x7f) {
                sb.append((char) c);
            }
        }
        return sb.toString().stripTrailing();
    }

    /** The raw (untrimmed) OEM ID bytes as text, for matching ids such as {@code "BOCHS "}. */
    public static String rawOemId(byte[] bytes) {
        return bytes == null || bytes.length < 16 ? "" : new String(bytes, 10, 6, StandardCharsets.ISO_8859_1);
    }
}
