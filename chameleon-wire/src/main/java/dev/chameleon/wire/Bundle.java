package dev.chameleon.wire;

import java.util.List;
import java.util.Optional;

/**
 * A policy bundle as it travels ({@code GET /api/v1/agents/{id}/bundle}) and as the agent keeps
 * its last good one on disk: a list of files, among them {@link #MANIFEST} and
 * {@link #SIGNATURES}. Only a bundle that {@link BundleVerifier} accepted may be used.
 *
 * @param files every file, in the order the server wrote them
 */
public record Bundle(List<BundleFile> files) {
    /** The manifest's file name: version, agent, and the policy sets in the bundle ({@link BundleManifest}). */
    public static final String MANIFEST = ".manifest";
    /** The signature file's name (OPA's {@code .signatures.json} model). */
    public static final String SIGNATURES = ".signatures.json";

    public Bundle {
        files = List.copyOf(files);
    }

    /** The file with this name, or empty. */
    public Optional<BundleFile> file(String name) {
        return files.stream().filter(f -> f.name().equals(name)).findFirst();
    }
}
