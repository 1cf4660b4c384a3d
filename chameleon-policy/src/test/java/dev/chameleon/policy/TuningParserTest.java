package dev.chameleon.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link TuningParser}: the whole schema, and bad inputs, each with its file:line:column. */
class TuningParserTest {
    static final String HEAD = "apiVersion: chameleon/v1\nkind: Tuning\nmetadata: {name: t}\n";
    static final String OBJ = "  objective: {probe: {command: [/bin/echo, '5']}, goal: maximise}\n";
    static final String KNOB = "  knobs:\n    - sysctl: {key: net.core.somaxconn}\n      range: {min: 128, max: 1024, step: 128}\n";
    static final String BUDGET = "  budget: {trials: 4}\n";

    static List<String> errors(String text) {
        List<PolicyError> errors = new ArrayList<>();
        List<Tuning> ts = TuningParser.parse("t.yaml", text, errors);
        assertThat(ts).as("a file with a problem gives no tuning").isEmpty();
        assertThat(errors).as("a refused file says why").isNotEmpty();
        return errors.stream().map(e -> e.file() + ":" + e.line() + ":" + e.column() + ": " + e.message()).toList();
    }

    @Test
    void readsEveryKey() {
        List<PolicyError> errors = new ArrayList<>();
        List<Tuning> ts = TuningParser.parse("t.yaml", """
                apiVersion: chameleon/v1
                kind: Tuning
                metadata: {name: loopback, description: iperf3 on lo}
                spec:
                  objective:
                    probe: {command: [/usr/bin/iperf3, -c, 127.0.0.1, -J], pattern: '"bits_per_second":\\s*([0-9.e+]+)', timeout: 20s}
                    goal: maximise
                    repeats: 5
                  knobs:
                    - sysctl: {key: net.ipv4.tcp_wmem}
                      choices: ["4096 16384 4194304", "4096 65536 16777216"]
                    - sysctl: {key: net.core.somaxconn}
                      range: {min: 128, max: 1000, step: 256}
                  budget: {trials: 12, time: 10m, trialsPerHour: 120}
                  guardrail: {maxRegression: 15%, settle: 1s, health: {url: 'http://127.0.0.1:8080/health', timeout: 2s}}
                  when: {condition: 'platform.hypervisor == "kvm"', window: "22:00-06:30"}
                """, errors);
        assertThat(errors).isEmpty();
        assertThat(ts).hasSize(1);
        Tuning t = ts.get(0);
        assertThat(t.name()).isEqualTo("loopback");
        assertThat(t.description()).isEqualTo("iperf3 on lo");
        assertThat(t.objective().maximise()).isTrue();
        assertThat(t.objective().repeats()).isEqualTo(5);
        assertThat(t.objective().probe().type()).isEqualTo(Tuning.ProbeType.COMMAND);
        assertThat(t.objective().probe().command()).containsExactly("/usr/bin/iperf3", "-c", "127.0.0.1", "-J");
        assertThat(t.objective().probe().timeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(t.objective().probe().pattern().pattern()).isEqualTo("\"bits_per_second\":\\s*([0-9.e+]+)");
        assertThat(t.knobs()).extracting(Tuning.Knob::key).containsExactly("sysctl:net.ipv4.tcp_wmem", "sysctl:net.core.somaxconn");
        assertThat(t.knobs().get(0).values()).containsExactly("4096 16384 4194304", "4096 65536 16777216");
        assertThat(t.knobs().get(0).numeric()).isFalse();
        assertThat(t.knobs().get(1).values()).as("min to max by step, and max itself").containsExactly("128", "384", "640", "896", "1000");
        assertThat(t.knobs().get(1).numeric()).isTrue();
        assertThat(t.knobs().get(1).setting()).containsEntry("key", "net.core.somaxconn");
        assertThat(t.knobs().get(1).field()).isEqualTo("value");
        assertThat(t.budget().trials()).isEqualTo(12);
        assertThat(t.budget().time()).contains(Duration.ofMinutes(10));
        assertThat(t.budget().spacing()).isEqualTo(Duration.ofSeconds(30));
        assertThat(t.guardrail().maxRegressionPercent()).isEqualTo(15.0);
        assertThat(t.guardrail().healthUrl()).isEqualTo("http://127.0.0.1:8080/health");
        assertThat(t.guardrail().healthTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(t.guardrail().settle()).isEqualTo(Duration.ofSeconds(1));
        assertThat(t.when()).isPresent();
        assertThat(t.window()).contains(new Tuning.Window(LocalTime.of(22, 0), LocalTime.of(6, 30)));
        assertThat(t.window().get().contains(LocalTime.of(23, 59))).isTrue();
        assertThat(t.window().get().contains(LocalTime.of(3, 0))).isTrue();
        assertThat(t.window().get().contains(LocalTime.of(6, 30))).isFalse();
        assertThat(t.window().get().contains(LocalTime.of(12, 0))).isFalse();
    }

    @Test
    void defaultsAndOtherProbes() {
        List<PolicyError> errors = new ArrayList<>();
        List<Tuning> ts = TuningParser.parse("t.yaml", HEAD + """
                spec:
                  objective: {probe: {prometheus: {url: 'http://127.0.0.1:9100/metrics', metric: 'lat{q="0.99"}'}}, goal: minimise}
                  knobs:
                    - sysfs: {knob: thp.enabled}
                      choices: [always, madvise, never]
                  budget: {trials: 3}
                """, errors);
        assertThat(errors).isEmpty();
        Tuning t = ts.get(0);
        assertThat(t.objective().maximise()).isFalse();
        assertThat(t.objective().repeats()).isEqualTo(3);
        assertThat(t.objective().probe().type()).isEqualTo(Tuning.ProbeType.PROMETHEUS);
        assertThat(t.objective().probe().metric()).isEqualTo("lat{q=\"0.99\"}");
        assertThat(t.knobs().get(0).key()).isEqualTo("sysfs:thp.enabled");
        assertThat(t.guardrail().maxRegressionPercent()).isEqualTo(20.0);
        assertThat(t.guardrail().healthCommand()).isEmpty();
        assertThat(t.budget().time()).isEmpty();
        assertThat(t.budget().spacing()).isEqualTo(Duration.ZERO);
        assertThat(t.when()).isEmpty();
        assertThat(t.window()).isEmpty();
    }

    @Test
    void aKnobValueTheSettingKindRefusesIsPositionedAtThatValue() {
        // net.core.somaxconn is an int in the kernel's documented types: a word is refused by the sysctl kind itself
        assertThat(errors(HEAD + "spec:\n" + OBJ + "  knobs:\n    - sysctl: {key: net.core.somaxconn}\n      choices: [128, lots]\n" + BUDGET))
                .singleElement().asString().startsWith("t.yaml:8:22: ");
        assertThat(errors(HEAD + "spec:\n" + OBJ + "  knobs:\n    - sysctl: {key: net.ipv4.tcp_sack}\n      choices: [1, false]\n" + BUDGET))
                .singleElement().asString().startsWith("t.yaml:8:20: sysctl.value is the YAML boolean false");
    }

    @Test
    void badInputs() {
        assertThat(errors(HEAD + "spec:\n" + OBJ + KNOB)).containsExactly(
                "t.yaml:5:3: spec.budget is required (a Tuning has an objective, knobs and a budget)");
        assertThat(errors(HEAD + "spec:\n  objective: {probe: {command: [iperf3]}, goal: up}\n" + KNOB + BUDGET)).containsExactly(
                "t.yaml:5:33: spec.objective.probe.command: 'iperf3' must be an absolute path: the command runs without a shell "
                        + "and without a PATH search (for shell syntax: [/bin/sh, -c, '...'])",
                "t.yaml:5:49: spec.objective.goal must be maximise or minimise, found 'up'");
        assertThat(errors(HEAD + "spec:\n  objective: {probe: {url: 'http://10.0.0.1/x'}, goal: maximise}\n" + KNOB + BUDGET))
                .singleElement().asString().startsWith("t.yaml:5:28: spec.objective.probe.url must be an http:// URL on a loopback");
        assertThat(errors(HEAD + "spec:\n  objective: {probe: {command: [/bin/true], url: 'http://127.0.0.1/'}, goal: maximise}\n"
                + KNOB + BUDGET)).containsExactly("t.yaml:5:22: spec.objective.probe takes exactly one of command, url or prometheus, found 2");
        assertThat(errors(HEAD + "spec:\n  objective: {probe: {command: [/bin/true], pattern: 'x('}, goal: maximise}\n" + KNOB + BUDGET))
                .singleElement().asString().startsWith("t.yaml:5:54: spec.objective.probe.pattern is not a regular expression");
        assertThat(errors(HEAD + "spec:\n" + OBJ + "  knobs:\n    - sysctl: {key: net.core.somaxconn}\n      range: {min: 10, max: 5}\n"
                + BUDGET)).containsExactly("t.yaml:8:29: range.max must be more than range.min (10), found 5");
        assertThat(errors(HEAD + "spec:\n" + OBJ + "  knobs:\n    - sysctl: {key: net.core.somaxconn, value: 5}\n      range: {min: 1, max: 5}\n"
                + BUDGET)).containsExactly("t.yaml:7:41: knob: sysctl.value is what the tuner chooses; leave it out here and give range or choices");
        assertThat(errors(HEAD + "spec:\n" + OBJ + "  knobs:\n    - sysctl: {key: net.core.somaxconn}\n" + BUDGET)).containsExactly(
                "t.yaml:7:7: a knob needs exactly one of range: {min, max, step} or choices: [...]");
        assertThat(errors(HEAD + "spec:\n" + OBJ + "  knobs:\n    - sysctl: {key: net.core.somaxconn}\n      choices: [1, 2]\n"
                + "    - sysctl: {key: net.core.somaxconn}\n      choices: [3, 4]\n" + BUDGET))
                .containsExactly("t.yaml:9:7: spec.knobs: sysctl:net.core.somaxconn is tuned twice");
        assertThat(errors(HEAD + "spec:\n" + OBJ + "  knobs:\n    - sysctl: {key: net.core.somaxconn}\n      range: {min: 0, max: 100000000}\n"
                + BUDGET)).containsExactly("t.yaml:8:14: range has 100000001 values; at most 10000 (take a larger step)");
        assertThat(errors(HEAD + "spec:\n" + OBJ + KNOB + "  budget: {trials: 0, time: soon}\n")).containsExactly(
                "t.yaml:9:20: spec.budget.trials must be from 1 to 1000, found 0",
                "t.yaml:9:29: spec.budget.time must be a duration with a unit (h, m or s: 30s, 5m, 1h30m), found 'soon'");
        // out of range is said as the range, positioned, not "must be a whole number" (and a 20-digit count is not a crash)
        assertThat(errors(HEAD + "spec:\n" + OBJ + KNOB + "  budget: {trials: -1}\n")).containsExactly(
                "t.yaml:9:20: spec.budget.trials must be from 1 to 1000, found -1");
        assertThat(errors(HEAD + "spec:\n" + OBJ + KNOB + "  budget: {trials: 99999999999999999999}\n")).containsExactly(
                "t.yaml:9:20: spec.budget.trials must be from 1 to 1000, found 99999999999999999999");
        assertThat(errors(HEAD + "spec:\n" + OBJ + KNOB + "  budget: {trials: 2.5, trialsPerHour: -4}\n")).containsExactly(
                "t.yaml:9:20: spec.budget.trials must be a whole number from 1 to 1000, found '2.5'",
                "t.yaml:9:40: spec.budget.trialsPerHour must be from 1 to 3600, found -4");
        // one reader for every duration (Durations): per-field bounds, ms only where a check waits
        assertThat(errors(HEAD + "spec:\n" + OBJ + KNOB + "  budget: {trials: 2, time: 500ms}\n")).containsExactly(
                "t.yaml:9:29: spec.budget.time must be whole seconds or more (h, m or s; ms is not taken here), found '500ms'");
        assertThat(errors(HEAD + "spec:\n" + OBJ + KNOB + "  budget: {trials: 2, time: 99999999999999999999h}\n")).containsExactly(
                "t.yaml:9:29: spec.budget.time must be at most 168h, found '99999999999999999999h'");
        assertThat(errors(HEAD + "spec:\n" + OBJ + KNOB + BUDGET + "  guardrail: {settle: 11m, health: {command: [/bin/true], timeout: 0ms}}\n"))
                .containsExactly("t.yaml:10:23: spec.guardrail.settle must be at most 10m, found '11m'",
                        "t.yaml:10:68: spec.guardrail.health.timeout must be more than 0s, found '0ms'");
        List<PolicyError> none = new java.util.ArrayList<>();
        Tuning.Guardrail g = TuningParser.parse("t.yaml", HEAD + "spec:\n" + OBJ + KNOB + BUDGET
                + "  guardrail: {settle: 250ms, health: {command: [/bin/true], timeout: 1m30s}}\n", none).get(0).guardrail();
        assertThat(none).isEmpty();
        assertThat(g.settle()).isEqualTo(java.time.Duration.ofMillis(250));
        assertThat(g.healthTimeout()).isEqualTo(java.time.Duration.ofSeconds(90));
        assertThat(errors(HEAD + "spec:\n" + OBJ + KNOB + BUDGET + "  guardrail: {maxRegression: 150}\n")).containsExactly(
                "t.yaml:10:30: spec.guardrail.maxRegression is a percent of the baseline from 0 to 100 (e.g. 20 or 20%), found '150'");
        assertThat(errors(HEAD + "spec:\n" + OBJ + KNOB + BUDGET + "  when: {window: '25:00-06:00'}\n")).containsExactly(
                "t.yaml:10:18: spec.when.window must be HH:MM-HH:MM in local time, two different times (it may pass midnight: "
                        + "22:00-06:00), found '25:00-06:00'");
        assertThat(errors(HEAD + "spec:\n" + OBJ + KNOB + BUDGET + "  when: {condition: 'platform.hypervisr == \"kvm\"'}\n"))
                .singleElement().asString().startsWith("t.yaml:10:30: spec.when.condition: undefined field 'hypervisr'");
        assertThat(errors(HEAD + "spec:\n" + OBJ + KNOB + BUDGET + "  budgets: {}\n")).containsExactly(
                "t.yaml:10:3: unknown key 'budgets' in spec (allowed: approve, budget, guardrail, knobs, objective, when)");
        assertThat(errors("apiVersion: chameleon/v1\nkind: Policy\nmetadata: {name: t}\nspec: {}\n")).containsExactly(
                "t.yaml:2:7: kind must be Tuning, found 'Policy'");
        assertThat(errors(HEAD + "spec: [\n")).singleElement().asString().startsWith("t.yaml:");
    }

    @Test
    void aKnobOverAPerElementKindTunesItsAttributeOnEveryElementItsSelectMatches() {
        List<PolicyError> errors = new ArrayList<>();
        List<Tuning> ts = TuningParser.parse("t.yaml", HEAD + "spec:\n" + OBJ + "  knobs:\n"
                + "    - nicSysctl: {select: 'nic.name.startsWith(\"veth\")', key: rp_filter}\n      choices: [0, 1, 2]\n"
                + "    - blockQueue: {select: 'disk.virtio == true'}\n      field: scheduler\n      choices: [none, mq-deadline]\n"
                + "    - blockQueue: {}\n      field: read_ahead_kb\n      range: {min: 128, max: 1024, step: 128}\n"
                + BUDGET, errors);
        assertThat(errors).isEmpty();
        List<Tuning.Knob> knobs = ts.get(0).knobs();
        assertThat(knobs).extracting(Tuning.Knob::key)
                .containsExactly("nicSysctl:*/ipv4.rp_filter", "blockQueue:*/scheduler", "blockQueue:*/read_ahead_kb");
        assertThat(knobs).allMatch(Tuning.Knob::perElement);
        assertThat(knobs.get(0).setting()).containsEntry("select", "nic.name.startsWith(\"veth\")").containsEntry("key", "rp_filter");
        assertThat(knobs.get(0).covers("nicSysctl:veth0/ipv4.rp_filter")).isTrue();
        assertThat(knobs.get(0).covers("nicSysctl:eth0.100/ipv4.rp_filter")).as("a VLAN's name has a dot, not a slash").isTrue();
        assertThat(knobs.get(0).covers("nicSysctl:veth0/ipv4.accept_local")).isFalse();
        assertThat(knobs.get(0).covers("nicSysctl:veth0/ipv6.rp_filter")).isFalse();
        assertThat(knobs.get(0).covers("nicSysctl:/ipv4.rp_filter")).as("no element").isFalse();
        assertThat(knobs.get(1).covers("blockQueue:vda/scheduler")).isTrue();
        assertThat(knobs.get(1).covers("blockQueue:vda/read_ahead_kb")).isFalse();
        assertThat(knobs.get(1).covers("sysfs:vda/scheduler")).isFalse();
        Tuning.Knob plain = TuningParser.parse("t.yaml", HEAD + "spec:\n" + OBJ + KNOB + BUDGET, errors).get(0).knobs().get(0);
        assertThat(plain.perElement()).isFalse();
        assertThat(plain.covers("sysctl:net.core.somaxconn")).isTrue();
        assertThat(plain.covers("sysctl:net.core.somaxconn2")).isFalse();

        // one attribute per knob: a blockQueue body fixing a second attribute would give two settings per disk
        assertThat(errors(HEAD + "spec:\n" + OBJ + "  knobs:\n    - blockQueue: {select: 'disk.virtio', nr_requests: 64}\n"
                + "      field: scheduler\n      choices: [none, mq-deadline]\n" + BUDGET)).containsExactly(
                "t.yaml:7:19: knob: blockQueue tunes one attribute per element; here it gives 2 (scheduler, nr_requests): "
                        + "set the other fields in a policy");
        // the select is read by the kind: CEL over 'nic', type-checked, at the select
        assertThat(errors(HEAD + "spec:\n" + OBJ + "  knobs:\n    - nicSysctl: {select: 'nic.nmae == \"v0\"', key: rp_filter}\n"
                + "      choices: [0, 1]\n" + BUDGET)).singleElement().asString().isEqualTo("t.yaml:7:31: nicSysctl.select: undefined field 'nmae' (did you mean 'name'?)");
        // blockQueue has no 'value': say which attribute is tuned
        assertThat(errors(HEAD + "spec:\n" + OBJ + "  knobs:\n    - blockQueue: {select: 'disk.virtio'}\n      choices: [none, kyber]\n"
                + BUDGET)).singleElement().asString().startsWith("t.yaml:7:7: knob: blockQueue has no field 'value' to tune");
        assertThat(errors(HEAD + "spec:\n" + OBJ + "  knobs:\n    - nicSysctl: {key: rp_filter}\n      choices: [0, 1]\n"
                + "    - nicSysctl: {select: 'nic.virtual', key: rp_filter}\n      choices: [1, 2]\n" + BUDGET))
                .containsExactly("t.yaml:9:7: spec.knobs: nicSysctl:*/ipv4.rp_filter is tuned twice");
    }

    @Test
    void approveIsManualUnlessSpecSaysAutoAndAnythingElseIsRefusedWhereItIs() {
        List<PolicyError> errors = new ArrayList<>();
        assertThat(TuningParser.parse("t.yaml", HEAD + "spec:\n" + OBJ + KNOB + BUDGET, errors).get(0).autoApprove()).isFalse();
        assertThat(TuningParser.parse("t.yaml", HEAD + "spec:\n" + OBJ + KNOB + BUDGET + "  approve: manual\n", errors).get(0).autoApprove())
                .isFalse();
        assertThat(TuningParser.parse("t.yaml", HEAD + "spec:\n" + OBJ + KNOB + BUDGET + "  approve: auto\n", errors).get(0).autoApprove())
                .isTrue();
        assertThat(errors).isEmpty();
        assertThat(errors(HEAD + "spec:\n" + OBJ + KNOB + BUDGET + "  approve: yes-please\n"))
                .containsExactly("t.yaml:10:12: spec.approve must be manual (the default: a proposal waits for an operator) or auto "
                        + "(the agent running this Tuning approves a significant proposal itself), found 'yes-please'");
    }

    @Test
    void aFileIsATuningFileWhenItsFirstDocumentIsATuning() {
        // the one rule (PolicyParser.readerOf) the engine's loader and 'policy validate' both use
        assertThat(PolicyParser.readerOf(HEAD + "spec:\n" + OBJ + KNOB + BUDGET)).isEqualTo(PolicyParser.Reader.TUNING);
        assertThat(PolicyParser.readerOf("---\n" + HEAD + "spec: {}\n---\nkind: Policy\n")).isEqualTo(PolicyParser.Reader.TUNING);
        assertThat(PolicyParser.readerOf("# a comment\n---\n---\n" + HEAD)).as("empty documents before it do not count")
                .isEqualTo(PolicyParser.Reader.TUNING);
        assertThat(PolicyParser.readerOf("apiVersion: chameleon/v1\nkind: Policy\nmetadata: {name: Tuning}\nspec: {}\n"))
                .isEqualTo(PolicyParser.Reader.POLICY);
        assertThat(PolicyParser.readerOf("kind: Policy\n---\n" + HEAD)).as("only the first document decides")
                .isEqualTo(PolicyParser.Reader.POLICY);
        assertThat(PolicyParser.readerOf("metadata: {name: x}\n---\n" + HEAD)).as("a first document without a kind is the policy reader's")
                .isEqualTo(PolicyParser.Reader.POLICY);
        assertThat(PolicyParser.readerOf("kind: [Tuning]\n")).isEqualTo(PolicyParser.Reader.POLICY);
        assertThat(PolicyParser.readerOf("kind: Tuning\n  bad: [indent\n")).as("not YAML: left to the policy reader")
                .isEqualTo(PolicyParser.Reader.POLICY);
        assertThat(PolicyParser.readerOf("")).isEqualTo(PolicyParser.Reader.POLICY);
        assertThat(PolicyParser.readerOf("apiVersion: chameleon/v1\nkind: HardwareProfile\nmetadata: {name: db}\n"))
                .isEqualTo(PolicyParser.Reader.HARDWARE_PROFILE);
    }

    /**
     * Issue 17: two Tunings named alike both wrote STATE/tuning/NAME.json and an apply-mode agent
     * ran them in turn on every pass. A name used twice is refused, as a policy name is: at the
     * later document, naming the earlier one, in one file or across files.
     */
    @Test
    void aTuningNameUsedTwiceIsRefusedAtTheLaterDocumentNamingTheEarlier() {
        String doc = HEAD.replace("name: t", "name: dup") + "spec:\n" + OBJ + KNOB + BUDGET;
        assertThat(errors(doc + "---\n" + doc)).containsExactly("t.yaml:11:1: tuning name 'dup' is already used by t.yaml:1");
        List<PolicyError> errors = new ArrayList<>();
        List<Tuning> ts = TuningParser.parseAll(List.of(new PolicySet.Source("a.yaml", doc), new PolicySet.Source("b.yaml", doc),
                new PolicySet.Source("c.yaml", doc.replace("name: dup", "name: other"))), errors);
        assertThat(errors).extracting(e -> e.file() + ":" + e.line() + ":" + e.column() + ": " + e.message())
                .containsExactly("b.yaml:1:1: tuning name 'dup' is already used by a.yaml:1");
        assertThat(errors.get(0).excerpt()).as("the excerpt shows the refused document").isEqualTo("apiVersion: chameleon/v1");
        assertThat(ts).as("the first of the two and the others are still read").extracting(Tuning::name).containsExactly("dup", "other");
    }

    /**
     * Issue 17: a Tuning's condition and its knobs' selects read facts as a policy's do, and get
     * the same guard warnings (once each, not once per knob value); the file is still read.
     */
    @Test
    void aTuningsConditionAndKnobSelectsGetTheGuardWarningsOfAPolicy() {
        String text = HEAD + "spec:\n" + OBJ + """
                  knobs:
                    - nicSysctl: {select: 'nic.driver == "virtio_net"', key: rp_filter}
                      choices: [1, 2]
                    - blockQueue: {select: 'disk.virtio && has(disk.rotational) && !disk.rotational'}
                      field: scheduler
                      choices: [none, mq-deadline]
                """ + BUDGET + """
                  when: {condition: 'memory.totalBytes > gib(4)'}
                """;
        List<PolicyError> errors = new ArrayList<>();
        List<PolicyError> warnings = new ArrayList<>();
        assertThat(TuningParser.parse("t.yaml", text, errors, warnings)).hasSize(1);
        assertThat(errors).isEmpty();
        assertThat(warnings).extracting(w -> w.file() + ":" + w.line() + ":" + w.column() + ": " + w.message().replaceAll(",.*guard", " ... guard"))
                .containsExactly("t.yaml:7:28: nicSysctl.select reads nic.driver ... guard it with has(nic.driver) && ...",
                        "t.yaml:13:22: spec.when.condition reads memory.totalBytes ... guard it with has(memory.totalBytes) && ...");
        assertThat(warnings.get(0).excerpt()).contains("select: 'nic.driver");
        List<PolicyError> all = new ArrayList<>();
        TuningParser.parseAll(List.of(new PolicySet.Source("t.yaml", text)), new ArrayList<>(), all);
        assertThat(all).hasSize(2);
    }

    /** The reference's own example reads, with no warning: what it shows is what an operator copies. */
    @Test
    void theReferenceExampleReadsWithoutErrorsOrWarnings() throws Exception {
        String doc = java.nio.file.Files.readString(java.nio.file.Path.of("..", "docs", "tuning.md"));
        int from = doc.indexOf("```yaml\napiVersion: chameleon/v1\nkind: Tuning");
        assertThat(from).as("docs/tuning.md's Tuning example").isPositive();
        String yaml = doc.substring(from + 8, doc.indexOf("```", from + 8));
        List<PolicyError> errors = new ArrayList<>();
        List<PolicyError> warnings = new ArrayList<>();
        assertThat(TuningParser.parse("tuning.md", yaml, errors, warnings)).hasSize(1);
        assertThat(errors).isEmpty();
        assertThat(warnings).extracting(PolicyError::message).isEmpty();
    }

    /** Issue 17: every problem of a knob at once, and messages that say what is right for a knob. */
    @Test
    void aKnobsProblemsAreAllReportedAndItsMessagesFitAKnob() {
        String head = HEAD + "spec:\n" + OBJ + "  knobs:\n";
        // a bad choices list does not hide a select that does not compile
        assertThat(errors(head + "    - blockQueue: {select: 'disk.nosuch'}\n      field: scheduler\n      choices: []\n" + BUDGET))
                .anySatisfy(e -> assertThat(e).startsWith("t.yaml:9:").contains("choices"))
                .anySatisfy(e -> assertThat(e).startsWith("t.yaml:7:").contains("blockQueue.select").contains("nosuch"));
        // field: select is not an attribute
        assertThat(errors(head + "    - blockQueue: {select: 'disk.virtio'}\n      field: select\n      choices: [none]\n" + BUDGET))
                .singleElement().satisfies(e -> assertThat(e).startsWith("t.yaml:8:14: knob: blockQueue.select chooses the elements; "
                        + "it is not what the tuner chooses: field names the attribute to tune, one of nr_requests, read_ahead_kb, scheduler")
                        .doesNotContain("is what the tuner chooses"));
        // a nicSysctl knob without key: no 'value' in the example, since a knob may not have one
        assertThat(errors(head + "    - nicSysctl: {select: 'disk.virtio'}\n      choices: [1, 2]\n" + BUDGET))
                .anySatisfy(e -> assertThat(e).startsWith("t.yaml:7:18: knob: nicSysctl needs a key, the setting to tune")
                        .contains("key: rp_filter}").doesNotContain("value: 2"))
                .anySatisfy(e -> assertThat(e).contains("nicSysctl.select"));
    }
}
