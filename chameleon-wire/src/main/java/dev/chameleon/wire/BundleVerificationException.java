package dev.chameleon.wire;

/**
 * A bundle the agent must refuse, with the reason as a value. The agent keeps running on its last
 * good bundle.
 */
public final class BundleVerificationException extends Exception {
    /** Why a bundle was refused; each is a distinct refusal. */
    public enum Reason {
        /** No {@code .signatures.json}. */
        UNSIGNED,
        /** {@code .signatures.json} is not one compact EdDSA token of canonical JSON. */
        MALFORMED_SIGNATURE,
        /** Signed with a key other than the pinned one (the token names another key id). */
        WRONG_KEY,
        /** The signature does not verify with the pinned key: the signed part was altered. */
        BAD_SIGNATURE,
        /** A file named in the signature is not in the bundle. */
        MISSING_FILE,
        /** A file in the bundle is not named in the signature. */
        EXTRA_FILE,
        /** A file's SHA-256 differs from the signed one. */
        CHANGED_FILE,
        /** The manifest is unreadable, or disagrees with the signed version. */
        MALFORMED_MANIFEST,
        /** The bundle was built for another agent. */
        WRONG_AGENT,
        /** The version is below the one the agent runs (no downgrade). */
        DOWNGRADE
    }

    private final Reason reason;

    public BundleVerificationException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
