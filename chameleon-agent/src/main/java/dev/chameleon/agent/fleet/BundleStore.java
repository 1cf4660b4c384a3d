package dev.chameleon.agent.fleet;

import dev.chameleon.policy.PolicySet;
import dev.chameleon.wire.Bundle;
import dev.chameleon.wire.BundleFile;
import dev.chameleon.wire.BundleManifest;
import dev.chameleon.wire.BundleVerificationException;
import dev.chameleon.wire.BundleVerifier;
import dev.chameleon.wire.Wire;
import dev.chameleon.wire.WireFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;

/**
 * The last good bundle on disk ({@code STATE/server/bundle.json}, as the server sent it, signature
 * included) and its ETag ({@code bundle.etag}). Both are written only after the bundle verified
 * and compiled with the local policies (activated), so an ETag is never kept for a bundle that
 * failed (opa #2220) and is not lost across restarts (opa #4544). At start the file is verified
 * again with the pinned key: a bundle changed on disk is refused like one from the network.
 */
public final class BundleStore {
    private final FleetFiles files;

    public BundleStore(FleetFiles files) {
        this.files = files;
    }

    /** A bundle in use: its version, ETag and policy files as sources. */
    public record Active(long version, String etag, BundleManifest manifest, List<PolicySet.Source> sources) {
        public static final Active NONE = new Active(0, null, null, List.of());
    }

    /**
     * The policy files of a verified bundle as policy sources named {@code bundle:FILE}, in the
     * manifest's order (after the pack, /etc/chameleon/policies.d and the configured folders).
     */
    public static List<PolicySet.Source> sources(BundleVerifier.Verified v) {
        List<PolicySet.Source> out = new ArrayList<>();
        for (BundleManifest.Entry e : v.manifest().policies()) {
            BundleFile f = v.bundle().file(e.file()).orElse(null);
            if (f != null) {
                out.add(new PolicySet.Source("bundle:" + e.file(), f.content()));
            }
        }
        return out;
    }

    /**
     * The last good bundle, verified again; {@link Active#NONE} when there is none.
     *
     * @throws BundleVerificationException the file on disk does not verify (changed, or another agent's)
     * @throws IOException                 it cannot be read or does not parse
     */
    public Active load(BundleVerifier verifier) throws IOException, BundleVerificationException {
        String text;
        try {
            text = Files.readString(files.bundle());
        } catch (NoSuchFileException e) {
            return Active.NONE;
        }
        Bundle b;
        try {
            b = Wire.readBundle(text);
        } catch (WireFormatException e) {
            throw new IOException(files.bundle() + ":" + e.getMessage());
        }
        BundleVerifier.Verified v = verifier.verify(b, 0);
        String etag = null;
        try {
            etag = Files.readString(files.etag()).strip();
        } catch (NoSuchFileException e) {
            // fetched in full next time
        }
        return new Active(v.version(), etag == null || etag.isEmpty() ? null : etag, v.manifest(), sources(v));
    }

    /** Keeps an activated bundle and its ETag (bundle first: an ETag never names a bundle not on disk). */
    public void save(Bundle b, String etag) throws IOException {
        files.create();
        FleetFiles.writePrivate(files.bundle(), Wire.write(b) + "\n");
        if (etag != null) {
            FleetFiles.writePrivate(files.etag(), etag + "\n");
        } else {
            Files.deleteIfExists(files.etag());
        }
    }

    /** Forgets the bundle (a new enrollment: another agent id, maybe another key). */
    public void clear() throws IOException {
        Files.deleteIfExists(files.etag());
        Files.deleteIfExists(files.bundle());
    }
}
