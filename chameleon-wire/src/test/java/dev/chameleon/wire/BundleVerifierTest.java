package dev.chameleon.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chameleon.wire.BundleVerificationException.Reason;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every refusal of {@link BundleVerifier}, each with its own reason, and the bundles it accepts. */
class BundleVerifierTest {
    private static final KeyPair SERVER = BundleKeys.generate();
    private static final KeyPair OTHER = BundleKeys.generate();
    private final BundleSigner signer = new BundleSigner(SERVER);
    private final BundleVerifier verifier = new BundleVerifier(signer.publicKey(), "ag_one");

    private static List<BundleFile> files(long version, String agent) {
        BundleManifest m = new BundleManifest(version, agent, BundleKeys.keyId(SERVER.getPublic()), "2026-12-04T13:00:00Z",
                List.of(new BundleManifest.Entry("web", "web-tier", 3, "policies/web-tier.yaml")));
        return List.of(new BundleFile(Bundle.MANIFEST, Wire.write(m)),
                new BundleFile("policies/web-tier.yaml", "apiVersion: chameleon/v1\nkind: Policy\n"));
    }

    private Bundle good(long version) {
        return signer.sign(version, files(version, "ag_one"));
    }

    private static Bundle replace(Bundle b, String name, String content) {
        List<BundleFile> out = new ArrayList<>();
        for (BundleFile f : b.files()) {
            out.add(f.name().equals(name) ? new BundleFile(name, content) : f);
        }
        return new Bundle(out);
    }

    private static Bundle without(Bundle b, String name) {
        return new Bundle(b.files().stream().filter(f -> !f.name().equals(name)).toList());
    }

    private Reason refusal(Bundle b, long running) {
        try {
            verifier.verify(b, running);
        } catch (BundleVerificationException e) {
            assertThat(e.getMessage()).isNotBlank();
            return e.reason();
        }
        throw new AssertionError("bundle was accepted");
    }

    @Test
    void acceptsAGoodBundleAndTheSameVersionAgain() throws Exception {
        BundleVerifier.Verified v = verifier.verify(good(7), 6);
        assertThat(v.version()).isEqualTo(7);
        assertThat(v.manifest().policies()).extracting(BundleManifest.Entry::policy).containsExactly("web-tier");
        assertThat(verifier.verify(good(7), 7).version()).isEqualTo(7);
    }

    @Test
    void survivesTheWireUnchanged() throws Exception {
        Bundle b = good(3);
        Bundle back = Wire.readBundle(Wire.write(b));
        assertThat(back).isEqualTo(b);
        assertThat(verifier.verify(back, 0).version()).isEqualTo(3);
    }

    @Test
    void unsigned() {
        assertThat(refusal(without(good(2), Bundle.SIGNATURES), 0)).isEqualTo(Reason.UNSIGNED);
    }

    @Test
    void malformedSignatureFiles() {
        Bundle b = good(2);
        assertThat(refusal(replace(b, Bundle.SIGNATURES, "not json"), 0)).isEqualTo(Reason.MALFORMED_SIGNATURE);
        assertThat(refusal(replace(b, Bundle.SIGNATURES, "{\"signatures\":[]}"), 0)).isEqualTo(Reason.MALFORMED_SIGNATURE);
        assertThat(refusal(replace(b, Bundle.SIGNATURES, "{\"signatures\":[\"a.b\"]}"), 0)).isEqualTo(Reason.MALFORMED_SIGNATURE);
        String token = token(b);
        String[] p = token.split("\\.");
        String rs256 = b64("{\"alg\":\"RS256\",\"kid\":\"" + signer.keyId() + "\",\"typ\":\"JWT\"}");
        assertThat(refusal(replace(b, Bundle.SIGNATURES, sigFile(rs256 + "." + p[1] + "." + p[2])), 0))
                .isEqualTo(Reason.MALFORMED_SIGNATURE);
        String spaced = b64("{ \"alg\":\"EdDSA\",\"kid\":\"" + signer.keyId() + "\",\"typ\":\"JWT\"}");
        assertThat(refusal(replace(b, Bundle.SIGNATURES, sigFile(spaced + "." + p[1] + "." + p[2])), 0))
                .isEqualTo(Reason.MALFORMED_SIGNATURE);
    }

    @Test
    void signedWithAnotherKey() {
        Bundle b = new BundleSigner(OTHER).sign(2, files(2, "ag_one"));
        assertThat(refusal(b, 0)).isEqualTo(Reason.WRONG_KEY);
    }

    @Test
    void anotherKeyClaimingThePinnedKeyId() {
        // a forger copies the pinned key id into the header: the signature cannot verify
        Bundle forged = new BundleSigner(OTHER).sign(2, files(2, "ag_one"));
        String[] p = token(forged).split("\\.");
        String header = b64("{\"alg\":\"EdDSA\",\"kid\":\"" + signer.keyId() + "\",\"typ\":\"JWT\"}");
        assertThat(refusal(replace(forged, Bundle.SIGNATURES, sigFile(header + "." + p[1] + "." + p[2])), 0))
                .isEqualTo(Reason.BAD_SIGNATURE);
    }

    @Test
    void tamperedSignedPayload() {
        Bundle b = good(2);
        String[] p = token(b).split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(p[1]), StandardCharsets.UTF_8).replace("\"version\":2", "\"version\":9");
        assertThat(refusal(replace(b, Bundle.SIGNATURES, sigFile(p[0] + "." + b64(payload) + "." + p[2])), 0))
                .isEqualTo(Reason.BAD_SIGNATURE);
    }

    @Test
    void missingFile() {
        assertThat(refusal(without(good(2), "policies/web-tier.yaml"), 0)).isEqualTo(Reason.MISSING_FILE);
    }

    @Test
    void extraFile() {
        Bundle b = good(2);
        List<BundleFile> more = new ArrayList<>(b.files());
        more.add(new BundleFile("policies/evil.yaml", "kind: Policy\n"));
        assertThat(refusal(new Bundle(more), 0)).isEqualTo(Reason.EXTRA_FILE);
    }

    @Test
    void changedFile() {
        assertThat(refusal(replace(good(2), "policies/web-tier.yaml", "kind: Policy # edited\n"), 0)).isEqualTo(Reason.CHANGED_FILE);
    }

    @Test
    void manifestDisagreeingWithTheSignedVersion() {
        Bundle b = signer.sign(5, files(4, "ag_one"));
        assertThat(refusal(b, 0)).isEqualTo(Reason.MALFORMED_MANIFEST);
    }

    @Test
    void unsignedManifestIsAMissingSignedFile() {
        // a bundle signed without its manifest cannot be made by the signer; a verifier given one refuses it
        assertThatThrownBy(() -> signer.sign(5, List.of(new BundleFile("policies/a.yaml", "x"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(Bundle.MANIFEST);
    }

    @Test
    void bundleOfAnotherAgent() {
        assertThat(refusal(signer.sign(2, files(2, "ag_two")), 0)).isEqualTo(Reason.WRONG_AGENT);
    }

    @Test
    void olderVersion() {
        assertThat(refusal(good(4), 5)).isEqualTo(Reason.DOWNGRADE);
    }

    @Test
    void pinnedKeyMustMatchItsId() {
        BundleKey k = signer.publicKey();
        assertThatThrownBy(() -> new BundleVerifier(new BundleKey("0000000000000000", k.algorithm(), k.publicKey()), "a"))
                .hasMessageContaining("does not match");
        assertThatThrownBy(() -> new BundleVerifier(new BundleKey(k.keyId(), "RSA", k.publicKey()), "a"))
                .hasMessageContaining("Ed25519");
        assertThatThrownBy(() -> new BundleVerifier(new BundleKey(k.keyId(), "Ed25519", "%%%"), "a"))
                .hasMessageContaining("base64");
    }

    @Test
    void keyFileRoundTripAndMismatch() {
        KeyPair back = BundleKeys.fromPem(BundleKeys.toPem(SERVER));
        assertThat(BundleKeys.keyId(back.getPublic())).isEqualTo(signer.keyId());
        assertThat(new BundleSigner(back).sign(1, files(1, "ag_one")).file(Bundle.SIGNATURES)).isPresent();
        String mixed = BundleKeys.toPem(SERVER).substring(0, BundleKeys.toPem(SERVER).indexOf("-----BEGIN PUBLIC"))
                + BundleKeys.toPem(OTHER).substring(BundleKeys.toPem(OTHER).indexOf("-----BEGIN PUBLIC"));
        assertThatThrownBy(() -> BundleKeys.fromPem(mixed)).hasMessageContaining("does not belong");
        assertThatThrownBy(() -> BundleKeys.fromPem("nothing")).hasMessageContaining("PRIVATE KEY");
    }

    private static String token(Bundle b) {
        String s = b.file(Bundle.SIGNATURES).orElseThrow().content();
        return s.substring(s.indexOf("[\"") + 2, s.indexOf("\"]"));
    }

    private static String sigFile(String token) {
        return "{\"signatures\":[\"" + token + "\"]}";
    }

    private static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
