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
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One whole-agent VM scenario, read from {@code src/test/resources/vm/scenarios/*.yaml}.
 *
 * <pre>
 * name: vmware                       # [a-z0-9_-]+, also the log file name target/vm/NAME.log
 * description: ...
 * qemu: [...]                        # extra qemu-system-x86_64 arguments; @DISK@ = a raw scratch disk
 * diskMb: 64                         # size of @DISK@ (sparse), default 64
 * memoryMb: 1024                     # guest RAM, default 1024
 * kernelArgs: ""                     # appended to "console=ttyS0 quiet panic=-1"
 * timeoutSeconds: 360                # whole boot-to-poweroff budget, default 360
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
        @JsonProperty("qemu") List<String> qemu,
        @JsonProperty("diskMb") Integer diskMb,
        @JsonProperty("memoryMb") Integer memoryMb,
        @JsonProperty("kernelArgs") String kernelArgs,
        @JsonProperty("timeoutSeconds") Integer timeoutSeconds,
        @JsonProperty(value = "steps", required = true) List<Step> steps) {

    private static final Pattern SCENARIO_NAME = Pattern.compile("[a-z0-9_-]+");
    private static final Pattern STEP_NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    public VmScenario {
        qemu = qemu == null ? List.of() : List.copyOf(qemu);
        steps = steps == null ? List.of() : List.copyOf(steps);
        description = description == null ? "" : description;
        kernelArgs = kernelArgs == null ? "" : kernelArgs;
        diskMb = diskMb == null ? 64 : diskMb;
        memoryMb = memoryMb == null ? 1024 : memoryMb;
        timeoutSeconds = timeoutSeconds == null ? 360 : timeoutSeconds;
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
        require(file, s.timeoutSeconds() > 0 && s.memoryMb() >= 256 && s.diskMb() > 0,
                "timeoutSeconds, memoryMb (>= 256) and diskMb must be positive");
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
        for (int i = 0; i < s.qemu().size(); i++) {
            String arg = s.qemu().get(i);
            if ((arg.equals("-netdev") || arg.equals("-nic")) && i + 1 < s.qemu().size()) {
                String value = s.qemu().get(i + 1);
                require(file, !value.startsWith("user") || value.matches(".*\\brestrict=(on|yes|y)\\b.*"),
                        arg + " " + value + ": user networking must have restrict=on (tests reach no network)");
                require(file, value.startsWith("user") || value.startsWith("none"),
                        arg + " " + value + ": only user networking with restrict=on is allowed");
            }
            require(file, !arg.equals("-accel") && !arg.equals("-kernel") && !arg.equals("-initrd")
                    && !arg.equals("-append") && !arg.equals("-enable-kvm"),
                    "qemu argument " + arg + " is set by the harness");
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
