package dev.chameleon.wire;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Signs bundles with an Ed25519 key, in OPA's {@code .signatures.json} model: one token over the
 * name and SHA-256 of every file, and the bundle's version.
 *
 * <p>{@code .signatures.json} is {@code {"signatures": ["HEADER.PAYLOAD.SIGNATURE"]}}, a JWS compact
 * token (base64url without padding): header {@code {"alg":"EdDSA","kid":KEY_ID,"typ":"JWT"}},
 * payload {@code {"files":[{"algorithm":"SHA-256","hash":HEX,"name":NAME},...],"keyid":KEY_ID,"version":N}}
 * with files sorted by name, both in canonical JSON ({@link Json#canonical}). Files are hashed as
 * their exact UTF-8 bytes. Thread-safe.
 */
public final class BundleSigner {
    private final KeyPair key;
    private final String keyId;

    public BundleSigner(KeyPair key) {
        this.key = key;
        this.keyId = BundleKeys.keyId(key.getPublic());
    }

    public String keyId() {
        return keyId;
    }

    /** The public key as agents pin it. */
    public BundleKey publicKey() {
        return BundleKeys.describe(key.getPublic());
    }

    /**
     * The bundle of these files (which must include {@link Bundle#MANIFEST} and not
     * {@link Bundle#SIGNATURES}) with its signature file added last.
     */
    public Bundle sign(long version, List<BundleFile> files) {
        if (files.stream().noneMatch(f -> f.name().equals(Bundle.MANIFEST))) {
            throw new IllegalArgumentException("a bundle needs its " + Bundle.MANIFEST);
        }
        List<Object> entries = new ArrayList<>();
        List<BundleFile> sorted = new ArrayList<>(files);
        sorted.sort(Comparator.comparing(BundleFile::name));
        for (BundleFile f : sorted) {
            if (f.name().equals(Bundle.SIGNATURES) || !BundleFile.validName(f.name())) {
                throw new IllegalArgumentException("cannot sign a bundle file named '" + f.name() + "'");
            }
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", f.name());
            e.put("hash", sha256(f.bytes()));
            e.put("algorithm", "SHA-256");
            entries.add(e);
        }
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("files", entries);
        payload.put("keyid", keyId);
        payload.put("version", version);
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", "EdDSA");
        header.put("kid", keyId);
        header.put("typ", "JWT");
        String signingInput = b64(Json.canonical(header)) + "." + b64(Json.canonical(payload));
        String token;
        try {
            Signature s = Signature.getInstance(BundleKeys.ALGORITHM);
            s.initSign(key.getPrivate());
            s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            token = signingInput + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
        List<BundleFile> out = new ArrayList<>(files);
        out.add(new BundleFile(Bundle.SIGNATURES, Json.canonical(Map.of("signatures", List.of(token)))));
        return new Bundle(out);
    }

    static String b64(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Lower-case hex SHA-256 of bytes. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
