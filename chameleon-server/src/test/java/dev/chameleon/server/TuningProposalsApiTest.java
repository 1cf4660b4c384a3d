package dev.chameleon.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chameleon.engine.Fingerprint;
import dev.chameleon.model.FactSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Learned tuning on the control plane (issue 17): an agent that ran an assigned Tuning sends its
 * proposal as an {@code event} report of type {@code tuning-proposal} with its platform
 * fingerprint; {@code GET /api/v1/tuning/proposals} offers it to agents of the same platform, and
 * an operator uploads it as a policy set. A Tuning itself is a policy set that goes to agents in
 * their bundle. A real server on loopback, with H2 and with a real PostgreSQL.
 */
@Timeout(120)
class TuningProposalsApiTest {
    Fleet fleet;

    @AfterEach
    void stop() {
        if (fleet != null) {
            fleet.close();
        }
    }

    /** A proposal event as FleetLink sends it, for the platform of {@code facts}. */
    static Map<String, Object> proposal(Map<String, Object> facts, String name) {
        Fingerprint fp = Fingerprint.of(FactSet.of(facts, Map.of()));
        String yaml = "# Proposed by chameleon tune from /etc/chameleon/policies.d/" + name + ".yaml:1 (tuning " + name
                + ", optimiser gp-ei, 3 trial(s))\n"
                + "apiVersion: chameleon/v1\nkind: Policy\nmetadata:\n  name: tuned-" + name + "\n  description: 'Learned by chameleon tune'\n"
                + "spec:\n  priority: 70\n  when: '" + fp.condition().replace("'", "''") + "'\n"
                + "  settings:\n    - sysctl: {key: net.core.somaxconn, value: 8192}\n";
        Map<String, Object> ev = new LinkedHashMap<>();
        ev.put("type", "tuning-proposal");
        ev.put("time", "2026-12-04T20:00:00Z");
        ev.put("summary", "tuning " + name + ": proposal for " + fp.key() + ", gain +12.0%");
        ev.put("tuning", name);
        ev.put("fingerprint", fp.fields());
        ev.put("objective", "maximise /usr/local/bin/bench-backlog");
        ev.put("baseline", Map.of("status", "measured", "measurements", List.of(100.0, 102.0, 98.0), "mean", 100.0, "sd", 2.0));
        ev.put("best", Map.of("trial", 2, "settings", Map.of("sysctl:net.core.somaxconn", "8192"), "status", "measured", "mean", 112.0,
                "sd", 1.5));
        ev.put("gain", Map.of("percent", 12.0, "ci95Low", 3.0, "ci95High", 21.0, "from", "confirmation", "significant", true));
        ev.put("proposal", yaml);
        return ev;
    }

    @ParameterizedTest
    @EnumSource(Fleet.Db.class)
    void aProposalIsOfferedToAgentsOfTheSamePlatformAndBecomesAPolicyUpload(Fleet.Db db) {
        fleet = Fleet.start(db);
        Http.Response et = fleet.http.post("/api/v1/enroll-tokens", fleet.admin, Http.json(Map.of("name", "e", "maxUses", 3)));
        String token = et.json().get("token").asText();
        Map<String, Object> kvm = Fleet.facts("kvm", "none", false);
        Fleet.Agent a = fleet.enroll(token, "vm-a", kvm);
        Fleet.Agent b = fleet.enroll(token, "vm-b", Fleet.facts("kvm", "none", false));
        Fleet.Agent c = fleet.enroll(token, "vm-c", Fleet.facts("vmware", "none", false));
        String key = Fingerprint.of(FactSet.of(kvm, Map.of())).key();
        assertThat(key).isEqualTo("hypervisor=kvm cloud=none memory<=16GiB");

        assertThat(fleet.http.get("/api/v1/tuning/proposals?agent=" + b.id(), fleet.admin).json()).isEmpty();
        assertThat(fleet.report(a, List.of(Fleet.report("p1", "event", proposal(kvm, "backlog")))).status()).isEqualTo(200);

        // b is a VM like a: offered a's proposal; c (vmware) is not
        JsonNode forB = fleet.http.get("/api/v1/tuning/proposals?agent=" + b.id(), fleet.admin).json();
        assertThat(forB).hasSize(1);
        assertThat(forB.get(0).get("agentId").asText()).isEqualTo(a.id());
        assertThat(forB.get(0).get("tuning").asText()).isEqualTo("backlog");
        assertThat(forB.get(0).get("fingerprintKey").asText()).isEqualTo(key);
        assertThat(forB.get(0).at("/gain/significant").asBoolean()).isTrue();
        assertThat(forB.get(0).get("objective").asText()).isEqualTo("maximise /usr/local/bin/bench-backlog");
        assertThat(forB.get(0).at("/baseline/mean").asDouble()).isEqualTo(100.0);
        assertThat(forB.get(0).at("/best/trial").asInt()).isEqualTo(2);
        assertThat(forB.get(0).at("/best/mean").asDouble()).isEqualTo(112.0);
        assertThat(forB.get(0).get("proposal").asText()).contains("kind: Policy").contains("value: 8192");
        assertThat(fleet.http.get("/api/v1/tuning/proposals?agent=" + c.id(), fleet.admin).json()).isEmpty();
        String q = java.net.URLEncoder.encode(key, java.nio.charset.StandardCharsets.UTF_8);
        assertThat(fleet.http.get("/api/v1/tuning/proposals?fingerprint=" + q, fleet.admin).json()).hasSize(1);
        assertThat(fleet.http.get("/api/v1/tuning/proposals?fingerprint=hypervisor%3Dkvm", fleet.admin).json()).isEmpty();

        // bad asks
        Http.Response neither = fleet.http.get("/api/v1/tuning/proposals", fleet.admin);
        assertThat(neither.status()).isEqualTo(400);
        assertThat(neither.body()).contains("give exactly one of fingerprint");
        assertThat(fleet.http.get("/api/v1/tuning/proposals?agent=" + b.id() + "&fingerprint=" + q, fleet.admin).status()).isEqualTo(400);
        assertThat(fleet.http.get("/api/v1/tuning/proposals?agent=nobody", fleet.admin).status()).isEqualTo(404);
        assertThat(fleet.http.get("/api/v1/tuning/proposals?agent=" + b.id(), null).status()).isEqualTo(401);

        // the operator turns it into a policy: the proposal is a policy set as it stands
        Http.Response up = fleet.http.put("/api/v1/policies/tuned-backlog", fleet.admin, "application/yaml",
                forB.get(0).get("proposal").asText());
        assertThat(up.status()).as(up.toString()).isEqualTo(201);
        assertThat(up.json().at("/summary/policies/0").asText()).isEqualTo("tuned-backlog");
    }

    /** Issue 14 item 2: a proposal is checked against the agent that sends it. */
    @ParameterizedTest
    @EnumSource(Fleet.Db.class)
    void aProposalForAnotherPlatformOrWithAKeyItsFieldsDoNotMakeIsRefusedNamingTheField(Fleet.Db db) {
        fleet = Fleet.start(db);
        Http.Response et = fleet.http.post("/api/v1/enroll-tokens", fleet.admin, Http.json(Map.of("name", "e", "maxUses", 3)));
        String token = et.json().get("token").asText();
        Map<String, Object> kvm = Fleet.facts("kvm", "none", false);
        Map<String, Object> unknown = Fleet.facts("unknown", "none", false);
        Fleet.Agent a = fleet.enroll(token, "vm-a", kvm);
        Fleet.Agent u = fleet.enroll(token, "vm-u", unknown);

        // an agent whose facts say hypervisor=unknown posts another platform's proposal
        Http.Response other = fleet.report(u, List.of(Fleet.report("p1", "event", proposal(kvm, "backlog"))));
        assertThat(other.status()).as(other.toString()).isEqualTo(400);
        assertThat(other.json().get("message").asText()).contains("report p1 (event tuning-proposal): fingerprint.hypervisor: is \"kvm\"")
                .contains("the agent's last facts make it \"unknown\" (from platform.hypervisor)");

        // a key its fields do not make
        Map<String, Object> forged = proposal(kvm, "backlog");
        @SuppressWarnings("unchecked")
        Map<String, Object> fp = new LinkedHashMap<>((Map<String, Object>) forged.get("fingerprint"));
        fp.put("key", "hypervisor=vmware cloud=none memory<=16GiB");
        forged.put("fingerprint", fp);
        Http.Response lie = fleet.report(a, List.of(Fleet.report("p2", "event", forged)));
        assertThat(lie.status()).as(lie.toString()).isEqualTo(400);
        assertThat(lie.json().get("message").asText()).contains("fingerprint.key: is \"hypervisor=vmware cloud=none memory<=16GiB\"")
                .contains("the fingerprint's fields make \"hypervisor=kvm cloud=none memory<=16GiB\"");

        // fields that contradict the key's sender: a memory tier the agent does not have
        Map<String, Object> bigger = proposal(kvm, "backlog");
        @SuppressWarnings("unchecked")
        Map<String, Object> fp2 = new LinkedHashMap<>((Map<String, Object>) bigger.get("fingerprint"));
        fp2.put("memoryTierGiB", 64L);
        fp2.put("key", "hypervisor=kvm cloud=none memory<=64GiB");
        bigger.put("fingerprint", fp2);
        Http.Response tier = fleet.report(a, List.of(Fleet.report("p3", "event", bigger)));
        assertThat(tier.status()).as(tier.toString()).isEqualTo(400);
        assertThat(tier.json().get("message").asText()).contains("fingerprint.memoryTierGiB: is \"64\"");

        // nothing of those was stored; the sender's own proposal is
        assertThat(fleet.http.get("/api/v1/events?agent=" + u.id(), fleet.admin).body()).doesNotContain("tuning-proposal");
        assertThat(fleet.report(a, List.of(Fleet.report("p4", "event", proposal(kvm, "backlog")))).status()).isEqualTo(200);
        assertThat(fleet.http.get("/api/v1/tuning/proposals?agent=" + a.id(), fleet.admin).json()).hasSize(1);
    }

    /** A valid Tuning named {@code backlog} (its {@code trials: 2} on line 9). */
    private static final String BACKLOG = """
            apiVersion: chameleon/v1
            kind: Tuning
            metadata: {name: backlog}
            spec:
              objective: {probe: {command: [/bin/cat, /proc/sys/net/core/somaxconn]}, goal: maximise}
              knobs:
                - sysctl: {key: net.core.somaxconn}
                  choices: [1024, 8192]
              budget: {trials: 2}
            """;

    @ParameterizedTest
    @EnumSource(Fleet.Db.class)
    void aTuningIsAPolicySetForTheBundleAndItsErrorsArePositioned(Fleet.Db db) {
        fleet = Fleet.start(db);
        String tuning = BACKLOG;
        Http.Response ok = fleet.http.put("/api/v1/policies/tune-backlog", fleet.admin, "application/yaml", tuning);
        assertThat(ok.status()).as(ok.toString()).isEqualTo(201);
        assertThat(ok.json().at("/summary/policies").size()).isZero();
        Http.Response bad = fleet.http.put("/api/v1/policies/tune-bad", fleet.admin, "application/yaml", tuning.replace("trials: 2", "trials: 0"));
        assertThat(bad.status()).as(bad.toString()).isEqualTo(422);
        assertThat(bad.body()).contains("tune-bad.yaml:9:").contains("nothing was stored");
    }

    /**
     * Two sets, each a valid Tuning named {@code backlog}, assigned to the same agent: the second
     * would make the agent run trials from both files into one {@code STATE/tuning/backlog.json}.
     * The server compiles the agent's whole bundle as the agent would (TuningParser.parseAll): the
     * bundle with both is refused, the agent keeps the one it had, and a {@code bundle.refused}
     * event names the Tuning and both assignments' files.
     */
    @ParameterizedTest
    @EnumSource(Fleet.Db.class)
    void twoSetsWithATuningOfTheSameNameAreRefusedAsOneAgentsBundle(Fleet.Db db) throws Exception {
        fleet = Fleet.start(db);
        String tuning = BACKLOG;
        assertThat(fleet.http.put("/api/v1/policies/tune-a", fleet.admin, "application/yaml", tuning).status()).isEqualTo(201);
        // the same name in another set: each set alone is valid, so each upload is accepted
        assertThat(fleet.http.put("/api/v1/policies/tune-b", fleet.admin, "application/yaml", tuning.replace("8192", "4096")).status())
                .isEqualTo(201);
        Http.Response et = fleet.http.post("/api/v1/enroll-tokens", fleet.admin, Http.json(Map.of("name", "e", "maxUses", 1)));
        Fleet.Agent a = fleet.enroll(et.json().get("token").asText(), "vm-a", Fleet.facts("kvm", "none", false));
        for (String set : List.of("a", "b")) {
            Http.Response asg = fleet.http.post("/api/v1/assignments", fleet.admin, Http.json(Map.of("name", "tune-" + set,
                    "policy", "tune-" + set, "selector", "true")));
            assertThat(asg.status()).as(asg.toString()).isEqualTo(201);
            Http.Response ro = fleet.http.post("/api/v1/assignments/tune-" + set + "/rollouts", fleet.admin, Http.json(Map.of("version", 1)));
            assertThat(ro.status()).as(ro.toString()).isEqualTo(201);
            if (set.equals("a")) {
                assertThat(bundleOf(a).manifest().policies()).extracting(e -> e.policy() + "@" + e.version()).containsExactly("tune-a@1");
            }
        }
        // with both assigned: the agent stays on the bundle with tune-a only
        assertThat(bundleOf(a).manifest().policies()).extracting(e -> e.policy() + "@" + e.version()).containsExactly("tune-a@1");
        bundleOf(a); // fetched again: the same refused content is not said twice
        JsonNode refused = null;
        int said = 0;
        for (JsonNode e : fleet.http.get("/api/v1/events?agent=" + a.id(), fleet.admin).json()) {
            if (e.get("kind").asText().equals("bundle.refused")) {
                refused = e;
                said++;
            }
        }
        assertThat(refused).as("a bundle.refused event for " + a.id()).isNotNull();
        assertThat(said).as("bundle.refused once for one refused content").isEqualTo(1);
        assertThat(refused.toString()).contains("tuning name 'backlog' is already used by")
                .contains("policies/tune-a.yaml").contains("policies/tune-b.yaml");
    }

    /** The first content an agent is given refused (no bundle before): one bundle.refused, however often it fetches. */
    @ParameterizedTest
    @EnumSource(Fleet.Db.class)
    void aRefusedFirstBundleIsSaidOnce(Fleet.Db db) throws Exception {
        fleet = Fleet.start(db);
        assertThat(fleet.http.put("/api/v1/policies/tune-a", fleet.admin, "application/yaml", BACKLOG).status()).isEqualTo(201);
        assertThat(fleet.http.put("/api/v1/policies/tune-b", fleet.admin, "application/yaml", BACKLOG).status()).isEqualTo(201);
        for (String set : List.of("a", "b")) {
            assertThat(fleet.http.post("/api/v1/assignments", fleet.admin, Http.json(Map.of("name", "tune-" + set, "policy", "tune-" + set,
                    "selector", "true"))).status()).isEqualTo(201);
            assertThat(fleet.http.post("/api/v1/assignments/tune-" + set + "/rollouts", fleet.admin, Http.json(Map.of("version", 1)))
                    .status()).isEqualTo(201);
        }
        Http.Response et = fleet.http.post("/api/v1/enroll-tokens", fleet.admin, Http.json(Map.of("name", "e", "maxUses", 1)));
        Fleet.Agent a = fleet.enroll(et.json().get("token").asText(), "vm-a", Fleet.facts("kvm", "none", false));
        for (int i = 0; i < 3; i++) {
            assertThat(bundleOf(a).manifest().policies()).isEmpty();
        }
        assertThat(fleet.http.get("/api/v1/events?agent=" + a.id(), fleet.admin).json().findValuesAsText("kind"))
                .filteredOn("bundle.refused"::equals).hasSize(1);
    }

    private dev.chameleon.wire.BundleVerifier.Verified bundleOf(Fleet.Agent a) throws Exception {
        Http.Response r = fleet.http.get("/api/v1/agents/" + a.id() + "/bundle", a.credential());
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        dev.chameleon.wire.BundleKey k = dev.chameleon.wire.Wire.readEnrollResponse(a.enrollment().body()).bundleKey();
        return new dev.chameleon.wire.BundleVerifier(k, a.id()).verify(dev.chameleon.wire.Wire.readBundle(r.body()), 0);
    }
}
