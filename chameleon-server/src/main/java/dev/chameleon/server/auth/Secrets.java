package dev.chameleon.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ids, secrets and credential strings.
 *
 * <p>A credential is {@code PREFIX_ID.SECRET}: {@code cht_} an operator's API token,
 * {@code che_} an enrollment token, {@code cha_} an agent's credential; ID names the row (public,
 * in logs and the audit), SECRET is 32 random bytes in base64url. Only the SHA-256 of the
 * secret is stored: the secrets are random 256-bit values, not passwords, so a slow hash would
 * add cost to every agent call and no protection.
 */
public final class Secrets {
    /** Operator API token prefix. */
    public static final String API = "cht";
    /** Enrollment token prefix. */
    public static final String ENROLL = "che";
    /** Agent credential prefix. */
    public static final String AGENT = "cha";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern CREDENTIAL = Pattern.compile("(cht|che|cha)_([a-z]{2}-[0-9a-f]{16})\\.([A-Za-z0-9_-]{43})");

    private Secrets() {
    }

    /** A new id: a two-letter kind ({@code ag}, {@code tk}, {@code en}, {@code ro}) and 16 hex digits. */
    public static String newId(String kind) {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return kind + "-" + HexFormat.of().formatHex(b);
    }

    /** A new 256-bit secret, base64url without padding (43 characters). */
    public static String newSecret() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** The credential string handed out once. */
    public static String credential(String prefix, String id, String secret) {
        return prefix + "_" + id + "." + secret;
    }

    /** Lower-case hex SHA-256 of a secret, as stored. */
    public static String hash(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether a secret matches a stored hash, in constant time. */
    public static boolean matches(String secret, String storedHash) {
        return MessageDigest.isEqual(hash(secret).getBytes(StandardCharsets.US_ASCII),
                storedHash.strip().getBytes(StandardCharsets.US_ASCII));
    }

    /** A parsed credential string. */
    public record Credential(String prefix, String id, String secret) {
    }

    /** Parses a credential string; empty when it is not one of ours. */
    public static Optional<Credential> parse(String text) {
        if (text == null || text.length() > 100) {
            return Optional.empty();
        }
        Matcher m = CREDENTIAL.matcher(text);
        return m.matches() ? Optional.of(new Credential(m.group(1), m.group(2), m.group(3))) : Optional.empty();
    }
}
