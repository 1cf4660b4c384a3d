package dev.chameleon.wire;

/**
 * The server's bundle-signing public key, handed to an agent at enrollment for it to pin.
 *
 * @param keyId     the first 16 hex digits of the SHA-256 of the key's X.509 encoding
 * @param algorithm always {@code Ed25519}
 * @param publicKey base64 (standard alphabet, padded) of the key's X.509 SubjectPublicKeyInfo DER
 */
public record BundleKey(String keyId, String algorithm, String publicKey) {
}
