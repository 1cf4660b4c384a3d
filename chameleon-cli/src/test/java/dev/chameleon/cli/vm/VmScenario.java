package dev.chameleon.cli.vm;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One whole-agent VM scenario, read from {@code src/test/resources/vm/scenarios/*.yaml}.
 *
 * <pre>
 * name: vmware                       # [a-z0-9_-]+, also the log file name target/vm/NAME.log
 * description: ...
 * machine: qemu-virtio               # run in the shared machine vm/machines/NAME.yaml (one boot for
 *                                    # all scenarios naming it, in order of 'order', then name) ...
 * qemu: [...]                        # ... or a machine of its own: the keys of VmMachine inline
 * diskMb: 64                         # (qemu, diskMb, memoryMb, smp, kernelArgs, qmp)
 * memoryMb: 1024
 * kernelArgs: ""
 * order: 50                          # place in a shared boot, default 50
 * timeoutSeconds: 360                # this scenario's share of the boot-to-poweroff budget, default 360
 * files:                             # written into the guest before the steps run (absolute paths)
 *   /root/policies/p.yaml: |
 *     apiVersion: chameleon/v1 ...
 * steps:
 *   - name: detect                   # [A-Za-z0-9_.-]+, unique
 *     run: chameleon detect --output json   # busybox sh script text, run as root in the guest
 *     timeoutSeconds: 120            # per step, default 120; a killed step has exit code 137
 *     expect:
 *       exitCode: 0                  # default 0
 *       contains: [a, b]             # substrings of stdout+stderr
 *       notContains: [c]
 *       json: {hypervisor: vmware}   # stdout is JSON and contains this subset
 * </pre>
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record VmScenario(
        @JsonProperty(value = "name", required = true) String name,
        @JsonProperty("description") String description,
        @JsonProperty("machine") String machine,
        @JsonProperty("qemu") List<String> qemu,
        @JsonProperty("diskMb") Integer diskMb,
        @JsonProperty("memoryMb") Integer memoryMb,
        @JsonProperty("smp") String smp,
        @JsonProperty("kernelArgs") String kernelArgs,
        @JsonProperty("qmp") Map<String, List<JsonNode>> qmp,
        @JsonProperty("order") Integer order,
        @JsonProperty("timeoutSeconds") Integer timeoutSeconds,
        @JsonProperty("files") Map<String, String> files,
        @JsonProperty(value = "steps", required = true) List<Step> steps) {

    private static final Pattern SCENARIO_NAME = Pattern.compile("[a-z0-9_-]+");
    private static final Pattern STEP_NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    public VmScenario {
        steps = steps == null ? List.of() : List.copyOf(steps);
        description = description == null ? "" : description;
        order = order == null ? 50 : order;
        timeoutSeconds = timeoutSeconds == null ? 360 : timeoutSeconds;
        files = files == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(files));
    }

    /**
     * The machine this scenario runs on: the shared {@code machines/NAME.yaml} of {@code machine},
     * or its own (inline keys), named after the scenario.
     *
     * @param machines the folder of machine files
     */
    public VmMachine machineIn(Path machines) {
        if (machine != null) {
            return VmMachine.load(machines.resolve(machine + ".yaml"));
        }
        return inline(Path.of("scenario " + name));
    }

    private VmMachine inline(Path file) {
        return VmMachine.of(file, name, description, qemu, diskMb, memoryMb, smp, kernelArgs, qmp);
    }

    /** One command run inside the guest, with what its output must show. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Step(
            @JsonProperty(value = "name", required = true) String name,
            @JsonProperty(value = "run", required = true) String run,
            @JsonProperty("timeoutSeconds") Integer timeoutSeconds,
            @JsonProperty("expect") Expect expect) {
        public Step {
            timeoutSeconds = timeoutSeconds == null ? 120 : timeoutSeconds;
            expect = expect == null ? new Expect(null, null, null, null) : expect;
        }
    }

    /** Expectations on a step; every given one must hold. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Expect(
            @JsonProperty("exitCode") Integer exitCode,
            @JsonProperty("contains") List<String> contains,
            @JsonProperty("notContains") List<String> notContains,
            @JsonProperty("json") JsonNode json) {
        public Expect {
            exitCode = exitCode == null ? 0 : exitCode;
            contains = contains == null ? List.of() : List.copyOf(contains);
            notContains = notContains == null ? List.of() : List.copyOf(notContains);
        }
    }

    /** Reads and validates a scenario file; errors name the file and what is wrong. */
    public static VmScenario load(Path file) {
        VmScenario s;
        try {
            s = YAML.readValue(file.toFile(), VmScenario.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        String base = file.getFileName().toString().replaceFirst("\\.ya?ml$", "");
        require(file, SCENARIO_NAME.matcher(s.name()).matches(), "name '" + s.name() + "' must match " + SCENARIO_NAME);
        require(file, s.name().equals(base), "name '" + s.name() + "' must equal the file name '" + base + "'");
        require(file, !s.steps().isEmpty(), "has no steps");
        require(file, s.timeoutSeconds() > 0, "timeoutSeconds must be positive");
        if (s.machine() != null) {
            require(file, VmMachine.NAME.matcher(s.machine()).matches(), "machine '" + s.machine() + "' must match " + VmMachine.NAME);
            require(file, s.qemu() == null && s.diskMb() == null && s.memoryMb() == null && s.smp() == null
                    && s.kernelArgs() == null && s.qmp() == null,
                    "with machine: " + s.machine() + " the machine's keys (qemu, diskMb, memoryMb, smp, kernelArgs, qmp) "
                            + "belong in vm/machines/" + s.machine() + ".yaml");
        } else {
            s.inline(file);   // validates the inline machine
        }
        for (String path : s.files().keySet()) {
            require(file, path.startsWith("/") && !path.contains("/../") && !path.endsWith("/") && !path.contains("//"),
                    "files: '" + path + "' must be an absolute path to a file, without ..");
        }
        Set<String> seen = new HashSet<>();
        for (Step step : s.steps()) {
            require(file, STEP_NAME.matcher(step.name()).matches(),
                    "step name '" + step.name() + "' must match " + STEP_NAME);
            require(file, seen.add(step.name()), "step name '" + step.name() + "' is used twice");
            require(file, !step.run().isBlank(), "step '" + step.name() + "' has an empty run");
            require(file, step.timeoutSeconds() > 0, "step '" + step.name() + "' timeoutSeconds must be positive");
            require(file, step.expect().json() == null || step.expect().json().isObject(),
                    "step '" + step.name() + "' expect.json must be a map");
        }
        return s;
    }

    private static void require(Path file, boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(file + ": " + message);
        }
    }

    @Override
    public String toString() {
        return name + (description.isEmpty() ? "" : " (" + description + ")");
    }
}
