package dev.chameleon.server.service;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import com.github.difflib.patch.Patch;
import dev.chameleon.policy.Policy;
import dev.chameleon.policy.PolicyError;
import dev.chameleon.policy.PolicyException;
import dev.chameleon.policy.PolicySet;
import dev.chameleon.policy.Profile;
import dev.chameleon.server.auth.Grant;
import dev.chameleon.server.store.AuditStore;
import dev.chameleon.server.store.Database;
import dev.chameleon.server.store.EventStore;
import dev.chameleon.server.store.PolicyStore;
import dev.chameleon.wire.BundleSigner;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Policy sets: YAML of Policy, Profile and PolicyTest documents, uploaded under a name, every
 * version kept. Compiled with the agent's own compiler (chameleon-policy) together with the
 * built-in pack the agent also loads, so a conflict with the pack or a misspelt fact is refused
 * here with the same positioned errors {@code chameleon policy validate} prints; nothing is
 * stored then.
 */
public final class Policies {
    /** Largest policy set, in bytes of UTF-8. */
    public static final int MAX_BYTES = 1 << 20;
    private static final List<PolicySet.Source> PACK = PolicySet.defaultPack();

    private final Database db;
    private final Clock clock;
    private final Notifier notifier;

    public Policies(Database db, Clock clock, Notifier notifier) {
        this.db = db;
        this.clock = clock;
        this.notifier = notifier;
    }

    /** The file name a set's errors and bundle file carry. */
    public static String fileName(String name) {
        return name + ".yaml";
    }

    /** What a set holds, as stored in {@code summary}. */
    public record Summary(List<String> policies, List<String> profiles, int tests) {
    }

    /**
     * Compiles sets together with the pack.
     *
     * @throws ApiException 422 with every positioned error
     */
    public static PolicySet compile(List<PolicySet.Source> sets) {
        List<PolicySet.Source> all = new ArrayList<>(PACK);
        all.addAll(sets);
        // a set that is a Tuning file (docs/tuning.md) goes to agents in their bundle, which run it: read by the Tuning reader here
        List<PolicySet.Source> tunings = dev.chameleon.engine.Engine.tuningSources(sets);
        List<PolicyError> tuningErrors = new ArrayList<>();
        dev.chameleon.policy.TuningParser.parseAll(tunings, tuningErrors);
        if (!tuningErrors.isEmpty()) {
            throw ApiException.unprocessable(tuningErrors.size() + " error" + (tuningErrors.size() == 1 ? "" : "s")
                    + " in the Tuning; nothing was stored", tuningErrors.stream().map(PolicyError::format).toList());
        }
        all.removeAll(tunings);
        try {
            return PolicySet.compile(all);
        } catch (PolicyException e) {
            throw ApiException.unprocessable(e.errors().size() + " error" + (e.errors().size() == 1 ? "" : "s")
                    + " in the policies; nothing was stored", e.errors().stream().map(PolicyError::format).toList());
        }
    }

    /** Checks a set without storing it: its summary, or 422 with positioned errors. */
    public Summary validate(String name, String yaml) {
        Names.name("name", name);
        checkSize(yaml);
        return summarize(name, compile(List.of(new PolicySet.Source(fileName(name), yaml))));
    }

    private static void checkSize(String yaml) {
        int bytes = yaml.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_BYTES) {
            throw ApiException.tooLarge("the policy set is " + bytes + " bytes; at most " + MAX_BYTES);
        }
        if (yaml.isBlank()) {
            throw ApiException.invalid("the policy set is empty");
        }
    }

    private static Summary summarize(String name, PolicySet set) {
        String file = fileName(name);
        List<String> pols = set.policies().stream().filter(p -> p.file().equals(file)).map(Policy::name).toList();
        List<String> profs = set.profiles().stream().filter(p -> p.file().equals(file)).map(Profile::name).toList();
        int tests = (int) set.tests().stream().filter(t -> t.file().equals(file)).count();
        return new Summary(pols, profs, tests);
    }

    /** A stored version as the API shows it. */
    public record VersionView(String name, int version, String sha256, Summary summary, String comment, Instant createdAt,
                              String createdBy, String yaml, boolean unchanged) {
    }

    private static VersionView view(PolicyStore.Version v, boolean withYaml, boolean unchanged) {
        Summary s;
        try {
            s = Mapper.JSON.readValue(v.summary(), Summary.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return new VersionView(v.name(), v.version(), v.sha256(), s, v.comment(), v.createdAt(), v.createdBy(),
                withYaml ? v.yaml() : null, unchanged);
    }

    /**
     * Uploads a version. The same text as the newest version stores nothing and answers that
     * version with {@code unchanged: true}.
     */
    public VersionView upload(Grant g, String name, String yaml, String comment) {
        Summary summary = validate(name, yaml);
        String c0 = Names.text("comment", comment, 500, false);
        String sha = BundleSigner.sha256(yaml.getBytes(StandardCharsets.UTF_8));
        VersionView out = db.tx(c -> {
            int latest = PolicyStore.latest(c, name);
            if (latest > 0) {
                PolicyStore.Version last = PolicyStore.get(c, name, latest).orElseThrow();
                if (last.sha256().equals(sha)) {
                    return view(last, false, true);
                }
            }
            Instant now = clock.instant();
            PolicyStore.Version v = new PolicyStore.Version(name, latest + 1, yaml, sha, Mapper.write(summary), c0, now,
                    g.actorName() + " (" + g.actorId() + ")");
            try {
                PolicyStore.insert(c, v);
            } catch (SQLException e) {
                if ("23505".equals(e.getSQLState())) {
                    throw ApiException.conflict("policy set " + name + " version " + (latest + 1)
                            + " was uploaded at the same moment by another request; upload again");
                }
                throw e;
            }
            AuditStore.record(c, g, now, "policy.upload", name + "@" + v.version(), Mapper.write(Map.of("sha256", sha,
                    "policies", summary.policies())));
            EventStore.append(c, now, null, "policy.uploaded", "policy set " + name + " version " + v.version() + " uploaded by "
                    + g.actorName() + " (" + summary.policies().size() + " policies)", null);
            return view(v, false, false);
        });
        notifier.poke();
        return out;
    }

    /** The newest version of every set. */
    public List<VersionView> list(Grant g) {
        return db.read(c -> PolicyStore.latestOfEach(c).stream().map(v -> view(v, false, false)).toList());
    }

    /** Every version of a set, newest first; 404 when there is none. */
    public List<VersionView> versions(Grant g, String name) {
        List<VersionView> out = db.read(c -> PolicyStore.versions(c, name).stream().map(v -> view(v, false, false)).toList());
        if (out.isEmpty()) {
            throw ApiException.notFound("no policy set " + Names.shorten(name));
        }
        return out;
    }

    /** One version with its YAML. */
    public VersionView get(Grant g, String name, int version) {
        return db.read(c -> PolicyStore.get(c, name, version)).map(v -> view(v, true, false))
                .orElseThrow(() -> ApiException.notFound("no policy set " + Names.shorten(name) + " version " + version));
    }

    /** The stored YAML of a version (bundles), or 404. */
    public String yaml(String name, int version) {
        return db.read(c -> PolicyStore.get(c, name, version)).map(PolicyStore.Version::yaml)
                .orElseThrow(() -> ApiException.notFound("no policy set " + name + " version " + version));
    }

    /**
     * The difference between two versions.
     *
     * @param unified  a unified diff of the YAML ({@code --- name@from}, {@code +++ name@to}, 3 lines of context)
     * @param added    policies in {@code to} and not in {@code from}
     * @param removed  policies in {@code from} and not in {@code to}
     * @param changed  policies in both whose compiled form differs (priority, mode, condition or settings)
     */
    public record Diff(String name, int from, int to, String unified, List<String> added, List<String> removed, List<String> changed) {
    }

    public Diff diff(Grant g, String name, int from, int to) {
        PolicyStore.Version a = db.read(c -> PolicyStore.get(c, name, from))
                .orElseThrow(() -> ApiException.notFound("no policy set " + Names.shorten(name) + " version " + from));
        PolicyStore.Version b = db.read(c -> PolicyStore.get(c, name, to))
                .orElseThrow(() -> ApiException.notFound("no policy set " + Names.shorten(name) + " version " + to));
        List<String> left = Arrays.asList(a.yaml().split("\n", -1));
        List<String> right = Arrays.asList(b.yaml().split("\n", -1));
        Patch<String> patch = DiffUtils.diff(left, right);
        String unified = String.join("\n", UnifiedDiffUtils.generateUnifiedDiff(name + "@" + from, name + "@" + to, left, patch, 3));
        Map<String, String> fa = fingerprints(name, a.yaml());
        Map<String, String> fb = fingerprints(name, b.yaml());
        List<String> added = new ArrayList<>(new TreeSet<>(fb.keySet()));
        added.removeAll(fa.keySet());
        List<String> removed = new ArrayList<>(new TreeSet<>(fa.keySet()));
        removed.removeAll(fb.keySet());
        List<String> changed = new ArrayList<>();
        for (String p : new TreeSet<>(fa.keySet())) {
            if (fb.containsKey(p) && !Objects.equals(fa.get(p), fb.get(p))) {
                changed.add(p);
            }
        }
        return new Diff(name, from, to, unified, added, removed, changed);
    }

    /** Per policy of a stored set, a text of what decides its effect (for "changed"). */
    private static Map<String, String> fingerprints(String name, String yaml) {
        Map<String, String> out = new LinkedHashMap<>();
        PolicySet set;
        try {
            set = compile(List.of(new PolicySet.Source(fileName(name), yaml)));
        } catch (ApiException e) {
            return out; // stored versions compiled when uploaded; a pack change since may break one
        }
        for (Policy p : set.policies()) {
            if (p.file().equals(fileName(name))) {
                StringBuilder sb = new StringBuilder().append(p.priority()).append('|').append(p.mode()).append('|')
                        .append(p.when().text());
                p.settings().forEach(r -> sb.append('|').append(r.kind()).append(':').append(r.target()).append('=').append(r.value())
                        .append(r.select().map(s -> " select " + s.text()).orElse("")));
                out.put(p.name(), sb.toString());
            }
        }
        return out;
    }
}
