package dev.chameleon.wire;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Ed25519 bundle-signing keys, with the JDK's own provider: generation, ids, and the text forms.
 *
 * <p>Key file (server side): two PEM blocks, {@code PRIVATE KEY} (PKCS#8, as
 * {@code openssl genpkey -algorithm ed25519} writes) then {@code PUBLIC KEY} (X.509
 * SubjectPublicKeyInfo), because the JDK cannot derive an Ed25519 public key from the private one.
 * Pinned key (agent side): {@link BundleKey}, the public key's X.509 DER in base64.
 */
public final class BundleKeys {
    /** The only algorithm used. */
    public static final String ALGORITHM = "Ed25519";

    private BundleKeys() {
    }

    /** A new random key pair. */
    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this Java runtime has no Ed25519 (Java 15 or later has)", e);
        }
    }

    /** The key id: the first 16 hex digits of the SHA-256 of the public key's X.509 encoding. */
    public static String keyId(PublicKey key) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The public key as an agent pins it. */
    public static BundleKey describe(PublicKey key) {
        return new BundleKey(keyId(key), ALGORITHM, Base64.getEncoder().encodeToString(key.getEncoded()));
    }

    /**
     * The public key of a pinned {@link BundleKey}.
     *
     * @throws IllegalArgumentException when the algorithm is not Ed25519, the text is not base64 of
     *                                  an Ed25519 key, or the key id does not match the key
     */
    public static PublicKey publicKey(BundleKey pinned) {
        if (!ALGORITHM.equals(pinned.algorithm())) {
            throw new IllegalArgumentException("bundle key algorithm must be " + ALGORITHM + ", got '" + pinned.algorithm() + "'");
        }
        PublicKey k;
        try {
            k = KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(pinned.publicKey())));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("bundle key is not base64 of an Ed25519 public key: " + e.getMessage(), e);
        }
        if (!keyId(k).equals(pinned.keyId())) {
            throw new IllegalArgumentException("bundle key id " + pinned.keyId() + " does not match its key (" + keyId(k) + ")");
        }
        return k;
    }

    /** The key file text: PKCS#8 private key, then the public key, both PEM. */
    public static String toPem(KeyPair pair) {
        return pem("PRIVATE KEY", pair.getPrivate().getEncoded()) + pem("PUBLIC KEY", pair.getPublic().getEncoded());
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    /**
     * Reads a key file written by {@link #toPem}.
     *
     * @throws IllegalArgumentException naming what is missing or wrong (no PRIVATE KEY block, not
     *                                  Ed25519, public key not matching the private key)
     */
    public static KeyPair fromPem(String text) {
        byte[] priv = block(text, "PRIVATE KEY");
        byte[] pub = block(text, "PUBLIC KEY");
        try {
            KeyFactory f = KeyFactory.getInstance(ALGORITHM);
            PrivateKey privateKey = f.generatePrivate(new PKCS8EncodedKeySpec(priv));
            PublicKey publicKey = f.generatePublic(new X509EncodedKeySpec(pub));
            byte[] probe = "chameleon key check".getBytes(StandardCharsets.US_ASCII);
            java.security.Signature s = java.security.Signature.getInstance(ALGORITHM);
            s.initSign(privateKey);
            s.update(probe);
            byte[] sig = s.sign();
            s.initVerify(publicKey);
            s.update(probe);
            if (!s.verify(sig)) {
                throw new IllegalArgumentException("the PUBLIC KEY block does not belong to the PRIVATE KEY block");
            }
            return new KeyPair(publicKey, privateKey);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an Ed25519 key pair: " + e.getMessage(), e);
        }
    }

    private static byte[] block(String text, String type) {
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int b = text.indexOf(begin);
        int e = b < 0 ? -1 : text.indexOf(end, b);
        if (b < 0 || e < 0) {
            throw new IllegalArgumentException("no " + type + " block (" + begin + " ... " + end + ")");
        }
        try {
            return Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e));
        } catch (IllegalArgumentException x) {
            throw new IllegalArgumentException("the " + type + " block is not base64: " + x.getMessage(), x);
        }
    }
}
