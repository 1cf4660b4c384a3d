package dev.chameleon.server;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * The server's TLS key store from PEM files as certbot, openssl or a PKI hands them out: a
 * certificate chain (leaf first) and its private key in PKCS#8 ({@code PRIVATE KEY}), PKCS#1
 * ({@code RSA PRIVATE KEY}) or SEC1 ({@code EC PRIVATE KEY}) form, read with Bouncy Castle.
 */
final class Tls {
    static final char[] PASSWORD = "chameleon".toCharArray();

    private Tls() {
    }

    /**
     * @throws IllegalArgumentException naming the file when it cannot be read, holds no
     *                                  certificate or key, or the key does not belong to the certificate
     */
    static KeyStore keyStore(Path cert, Path key) {
        List<X509Certificate> chain = new ArrayList<>();
        JcaX509CertificateConverter conv = new JcaX509CertificateConverter();
        try (Reader r = Files.newBufferedReader(cert, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
            Object o;
            while ((o = p.readObject()) != null) {
                if (o instanceof X509CertificateHolder h) {
                    chain.add(conv.getCertificate(h));
                }
            }
        } catch (IOException | java.security.cert.CertificateException e) {
            throw new IllegalArgumentException("--tls-cert " + cert + ": cannot read: " + e.getMessage(), e);
        }
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("--tls-cert " + cert + ": no CERTIFICATE block");
        }
        PrivateKey pk = null;
        JcaPEMKeyConverter kc = new JcaPEMKeyConverter();
        try (Reader r = Files.newBufferedReader(key, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
            Object o;
            while (pk == null && (o = p.readObject()) != null) {
                if (o instanceof PEMKeyPair kp) {
                    pk = kc.getKeyPair(kp).getPrivate();
                } else if (o instanceof PrivateKeyInfo info) {
                    pk = kc.getPrivateKey(info);
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("--tls-key " + key + ": cannot read: " + e.getMessage(), e);
        }
        if (pk == null) {
            throw new IllegalArgumentException("--tls-key " + key + ": no unencrypted PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block");
        }
        if (!matches(pk, chain.get(0))) {
            throw new IllegalArgumentException("--tls-key " + key + " does not belong to the first certificate of --tls-cert " + cert);
        }
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("server", pk, PASSWORD, chain.toArray(new Certificate[0]));
            return ks;
        } catch (Exception e) {
            throw new IllegalStateException("cannot build the TLS key store: " + e.getMessage(), e);
        }
    }

    private static boolean matches(PrivateKey pk, X509Certificate cert) {
        try {
            String alg = switch (pk.getAlgorithm()) {
                case "RSA" -> "SHA256withRSA";
                case "EC", "ECDSA" -> "SHA256withECDSA";
                case "Ed25519", "EdDSA" -> "Ed25519";
                default -> null;
            };
            if (alg == null) {
                return true; // an algorithm this check does not know; Jetty will fail the handshake if wrong
            }
            byte[] probe = "chameleon tls check".getBytes(StandardCharsets.US_ASCII);
            java.security.Signature s = java.security.Signature.getInstance(alg);
            s.initSign(pk);
            s.update(probe);
            byte[] sig = s.sign();
            s.initVerify(cert.getPublicKey());
            s.update(probe);
            return s.verify(sig);
        } catch (Exception e) {
            return false;
        }
    }
}
