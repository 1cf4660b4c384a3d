package dev.chameleon.policy;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A compiled {@code kind: PolicyTest} document: facts in, expected settings out.
 *
 * <pre>
 * apiVersion: chameleon/v1
 * kind: PolicyTest
 * metadata: {name: vmware-guest-loads-pvscsi}
 * spec:
 *   facts: {platform: {hypervisor: vmware, container: none}}   # inline facts, or
 *   factsFile: facts/vmware.json                               # a facts JSON/YAML file (relative), or
 *   root: ../fixtures/vmware/root                              # a fixture root read by the sensors
 *   commands: ../fixtures/vmware/commands                      #   (optional, with root)
 *   expect:                                                    # key: value, or key: {value, policy, mode}
 *     kernelModule:vmw_pvscsi: loaded
 *     sysctl:vm.swappiness: {value: "30", policy: virtual-guest}
 *   absent: [sysctl:vm.nr_hugepages]                           # keys no policy may set
 *   holdingFor: 10m                                            # for: policies: the facts have held this long
 * </pre>
 *
 * @param name      {@code metadata.name}
 * @param file      where it was read from
 * @param line      1-based line of the document's start
 * @param facts     inline facts (plain values), or empty
 * @param factsFile a facts file relative to {@code file}'s folder, or empty
 * @param root      a fixture root relative to {@code file}'s folder, or empty
 * @param commands  canned command output relative to {@code file}'s folder, or empty
 * @param expect    the settings that must be desired
 * @param absent    setting keys that must not be desired
 * @param holdingFor how long the facts are taken to have held, for policies with {@code for:}
 *                  ({@link ConditionHistory#heldFor}); empty: no history, as a one-shot {@code plan}
 *                  (a {@code for:} policy does not match)
 */
public record PolicyTest(String name, String file, int line, Optional<Map<String, Object>> facts, Optional<String> factsFile,
                         Optional<String> root, Optional<String> commands, List<Expectation> expect, List<Ref> absent,
                         Optional<java.time.Duration> holdingFor) {
    public PolicyTest {
        expect = List.copyOf(expect);
        absent = List.copyOf(absent);
    }

    /** A test without {@code holdingFor}. */
    public PolicyTest(String name, String file, int line, Optional<Map<String, Object>> facts, Optional<String> factsFile,
                      Optional<String> root, Optional<String> commands, List<Expectation> expect, List<Ref> absent) {
        this(name, file, line, facts, factsFile, root, commands, expect, absent, Optional.empty());
    }

    public String location() {
        return file + ":" + line;
    }

    /**
     * One expected setting.
     *
     * @param key    {@code kind:target}, as in {@code plan} and {@code explain}
     * @param value  the desired value, compared as text
     * @param policy the policy that must win, or empty for any
     * @param mode   the mode that must apply, or empty for any
     */
    public record Expectation(String key, String value, Optional<String> policy, Optional<String> mode, int line, int column) {
    }
}
