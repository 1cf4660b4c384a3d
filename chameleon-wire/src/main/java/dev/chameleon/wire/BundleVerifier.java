package dev.chameleon.wire;

import dev.chameleon.wire.BundleVerificationException.Reason;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a bundle against the key the agent pinned at enrollment, before anything of it is used.
 *
 * <p>Order of checks, each its own {@link Reason}: a signature file at all ({@code UNSIGNED}); one
 * well-formed EdDSA token of canonical JSON ({@code MALFORMED_SIGNATURE}); made with the pinned
 * key's id ({@code WRONG_KEY}); verifying with the pinned key ({@code BAD_SIGNATURE}); every signed
 * file present ({@code MISSING_FILE}), no unsigned file ({@code EXTRA_FILE}), every hash equal
 * ({@code CHANGED_FILE}); a manifest whose version is the signed one ({@code MALFORMED_MANIFEST}),
 * built for this agent ({@code WRONG_AGENT}); a version not below the one running ({@code DOWNGRADE}).
 * Thread-safe.
 */
public final class BundleVerifier {
    private final PublicKey key;
    private final String keyId;
    private final String agentId;

    /**
     * @param pinned  the key from enrollment
     * @param agentId the agent's own id; bundles for another agent are refused
     * @throws IllegalArgumentException when the pinned key is not a valid Ed25519 key with its id
     */
    public BundleVerifier(BundleKey pinned, String agentId) {
        this.key = BundleKeys.publicKey(pinned);
        this.keyId = pinned.keyId();
        this.agentId = agentId;
    }

    /** A bundle that passed every check. */
    public record Verified(long version, BundleManifest manifest, Bundle bundle) {
    }

    /**
     * Verifies a bundle.
     *
     * @param running the version of the bundle the agent runs now (0 when none)
     * @throws BundleVerificationException with the first reason found, and a message naming the file or key
     */
    public Verified verify(Bundle bundle, long running) throws BundleVerificationException {
        BundleFile sigFile = bundle.file(Bundle.SIGNATURES).orElseThrow(() ->
                new BundleVerificationException(Reason.UNSIGNED, "the bundle has no " + Bundle.SIGNATURES + ": unsigned"));
        String token = token(sigFile.content());
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            throw malformed("the signature is not a compact token of three parts");
        }
        Map<String, Object> header = canonicalObject(parts[0], "header");
        if (!"EdDSA".equals(header.get("alg"))) {
            throw malformed("the signature's algorithm is '" + header.get("alg") + "', not EdDSA");
        }
        if (!(header.get("kid") instanceof String kid)) {
            throw malformed("the signature names no key id");
        }
        if (!kid.equals(keyId)) {
            throw new BundleVerificationException(Reason.WRONG_KEY, "the bundle is signed with key " + kid
                    + ", not with the pinned key " + keyId);
        }
        byte[] sig;
        try {
            sig = Base64.getUrlDecoder().decode(parts[2]);
        } catch (IllegalArgumentException e) {
            throw malformed("the signature is not base64url");
        }
        try {
            Signature s = Signature.getInstance(BundleKeys.ALGORITHM);
            s.initVerify(key);
            s.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            if (!s.verify(sig)) {
                throw new BundleVerificationException(Reason.BAD_SIGNATURE, "the signature does not verify with the pinned key "
                        + keyId + ": the signed file list was altered");
            }
        } catch (java.security.SignatureException e) {
            throw new BundleVerificationException(Reason.BAD_SIGNATURE, "the signature does not verify with the pinned key "
                    + keyId + ": " + e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 verification unavailable", e);
        }
        Map<String, Object> payload = canonicalObject(parts[1], "payload");
        if (!keyId.equals(payload.get("keyid"))) {
            throw malformed("the signed payload names key " + payload.get("keyid") + ", the header " + kid);
        }
        if (!(payload.get("version") instanceof Long version) || !(payload.get("files") instanceof List<?> signed)) {
            throw malformed("the signed payload lacks its version or file list");
        }
        Map<String, String> hashes = new HashMap<>();
        for (Object o : signed) {
            if (!(o instanceof Map<?, ?> m) || !(m.get("name") instanceof String n) || !(m.get("hash") instanceof String h)
                    || !"SHA-256".equals(m.get("algorithm"))) {
                throw malformed("a signed file entry lacks name, hash or algorithm SHA-256");
            }
            hashes.put(n, h);
        }
        Map<String, BundleFile> present = new HashMap<>();
        for (BundleFile f : bundle.files()) {
            if (!f.name().equals(Bundle.SIGNATURES)) {
                present.put(f.name(), f);
            }
        }
        Set<String> missing = new LinkedHashSet<>(hashes.keySet());
        missing.removeAll(present.keySet());
        if (!missing.isEmpty()) {
            throw new BundleVerificationException(Reason.MISSING_FILE, "signed file(s) missing from the bundle: " + sorted(missing));
        }
        Set<String> extra = new LinkedHashSet<>(present.keySet());
        extra.removeAll(hashes.keySet());
        if (!extra.isEmpty()) {
            throw new BundleVerificationException(Reason.EXTRA_FILE, "file(s) in the bundle that the signature does not name: " + sorted(extra));
        }
        for (Map.Entry<String, String> e : hashes.entrySet()) {
            String actual = BundleSigner.sha256(present.get(e.getKey()).bytes());
            if (!actual.equals(e.getValue())) {
                throw new BundleVerificationException(Reason.CHANGED_FILE, "file " + e.getKey() + " was changed: SHA-256 "
                        + actual + ", signed " + e.getValue());
            }
        }
        BundleFile mf = present.get(Bundle.MANIFEST);
        if (mf == null) {
            throw new BundleVerificationException(Reason.MALFORMED_MANIFEST, "the bundle has no " + Bundle.MANIFEST);
        }
        BundleManifest manifest;
        try {
            manifest = Wire.readBundleManifest(mf.content());
        } catch (WireFormatException e) {
            throw new BundleVerificationException(Reason.MALFORMED_MANIFEST, Bundle.MANIFEST + ": " + e.getMessage());
        }
        if (manifest.version() != version) {
            throw new BundleVerificationException(Reason.MALFORMED_MANIFEST, "the manifest says version " + manifest.version()
                    + ", the signature " + version);
        }
        if (!manifest.agentId().equals(agentId)) {
            throw new BundleVerificationException(Reason.WRONG_AGENT, "the bundle was built for agent " + manifest.agentId()
                    + ", not for " + agentId);
        }
        if (version < running) {
            throw new BundleVerificationException(Reason.DOWNGRADE, "bundle version " + version
                    + " is older than the running version " + running + "; downgrades are refused");
        }
        return new Verified(version, manifest, bundle);
    }

    private static List<String> sorted(Set<String> s) {
        List<String> l = new ArrayList<>(s);
        java.util.Collections.sort(l);
        return l;
    }

    private static BundleVerificationException malformed(String why) {
        return new BundleVerificationException(Reason.MALFORMED_SIGNATURE, Bundle.SIGNATURES + ": " + why);
    }

    private static String token(String content) throws BundleVerificationException {
        Object tree;
        try {
            tree = Json.parse(content);
        } catch (WireFormatException e) {
            throw malformed("not JSON: " + e.getMessage());
        }
        if (!(tree instanceof Map<?, ?> m) || !(m.get("signatures") instanceof List<?> l) || l.size() != 1
                || !(l.get(0) instanceof String token)) {
            throw malformed("expected {\"signatures\": [one token]}");
        }
        return token;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> canonicalObject(String part, String what) throws BundleVerificationException {
        String text;
        try {
            text = new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw malformed("the " + what + " is not base64url");
        }
        Object tree;
        try {
            tree = Json.parse(text);
        } catch (WireFormatException e) {
            throw malformed("the " + what + " is not JSON: " + e.getMessage());
        }
        if (!(tree instanceof Map<?, ?>)) {
            throw malformed("the " + what + " is not a JSON object");
        }
        if (!Json.canonical(tree).equals(text)) {
            throw malformed("the " + what + " is not in canonical JSON (sorted keys, no whitespace)");
        }
        return (Map<String, Object>) tree;
    }
}
