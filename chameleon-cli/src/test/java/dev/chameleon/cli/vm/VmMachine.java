package dev.chameleon.cli.vm;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The emulated hardware a guest boots on: {@code vm/machines/NAME.yaml}, shared by every scenario
 * that names it ({@code machine: NAME}; they run one after the other in one boot), or the same
 * keys written inline in a scenario (a machine of its own, named after it).
 *
 * <pre>
 * name: qemu-virtio                  # [a-z0-9_-]+, equal to the file name
 * description: ...
 * qemu: [...]                        # extra qemu-system-x86_64 arguments; @DISK@ = a raw scratch disk
 * diskMb: 64                         # size of @DISK@ and of each @HOTDISK@ (sparse), default 64
 * memoryMb: 1024                     # guest RAM, default 1024
 * smp: "2"                           # -smp, default 2; "2,maxcpus=3" leaves room for a CPU hotplug
 * kernelArgs: ""                     # appended to "console=ttyS0 quiet panic=-1"
 * qmp:                               # hotplug actions a step asks for (vm-hotplug ACTION ...)
 *   nic:
 *     - {execute: netdev_add, arguments: {type: user, id: hn1, restrict: true}}
 *     - {execute: device_add, arguments: {driver: virtio-net-pci, netdev: hn1, id: hnic1}}
 * </pre>
 *
 * <p>QMP actions are checked when read: {@code netdev_add} only of {@code type: user} with
 * {@code restrict: true} (the guest reaches no network), {@code blockdev-add} only on the file
 * {@code @HOTDISK@} (a fresh sparse disk per action in the boot's folder), and only the commands
 * in {@link #QMP_COMMANDS}.
 */
public record VmMachine(String name, String description, List<String> qemu, int diskMb, int memoryMb, String smp,
                        String kernelArgs, Map<String, List<JsonNode>> qmp) {

    static final Pattern NAME = Pattern.compile("[a-z0-9_-]+");
    private static final Pattern SMP = Pattern.compile("[1-8](,maxcpus=[1-8])?");
    /** The QMP commands a machine file may use. */
    static final Set<String> QMP_COMMANDS = Set.of("netdev_add", "device_add", "device_del", "blockdev-add",
            "query-hotpluggable-cpus", "query-pci");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    public VmMachine {
        qemu = qemu == null ? List.of() : List.copyOf(qemu);
        description = description == null ? "" : description;
        kernelArgs = kernelArgs == null ? "" : kernelArgs;
        smp = smp == null ? "2" : smp;
        qmp = qmp == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(qmp));
    }

    /** The file form: every key optional except name. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    record File(
            @JsonProperty(value = "name", required = true) String name,
            @JsonProperty("description") String description,
            @JsonProperty("qemu") List<String> qemu,
            @JsonProperty("diskMb") Integer diskMb,
            @JsonProperty("memoryMb") Integer memoryMb,
            @JsonProperty("smp") String smp,
            @JsonProperty("kernelArgs") String kernelArgs,
            @JsonProperty("qmp") Map<String, List<JsonNode>> qmp) {
    }

    static VmMachine of(Path file, String name, String description, List<String> qemu, Integer diskMb, Integer memoryMb,
                        String smp, String kernelArgs, Map<String, List<JsonNode>> qmp) {
        VmMachine m = new VmMachine(name, description, qemu, diskMb == null ? 64 : diskMb, memoryMb == null ? 1024 : memoryMb,
                smp, kernelArgs, qmp);
        m.validate(file);
        return m;
    }

    /** Reads and validates {@code vm/machines/NAME.yaml}; errors name the file and what is wrong. */
    static VmMachine load(Path file) {
        File f;
        try {
            f = YAML.readValue(file.toFile(), File.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        String base = file.getFileName().toString().replaceFirst("\\.ya?ml$", "");
        require(file, f.name() != null && NAME.matcher(f.name()).matches(), "name '" + f.name() + "' must match " + NAME);
        require(file, f.name().equals(base), "name '" + f.name() + "' must equal the file name '" + base + "'");
        return of(file, f.name(), f.description(), f.qemu(), f.diskMb(), f.memoryMb(), f.smp(), f.kernelArgs(), f.qmp());
    }

    private void validate(Path file) {
        require(file, memoryMb >= 256 && diskMb > 0, "memoryMb (>= 256) and diskMb must be positive");
        require(file, SMP.matcher(smp).matches(), "smp '" + smp + "' must look like 2 or 2,maxcpus=3 (1-8 CPUs)");
        for (int i = 0; i < qemu.size(); i++) {
            String arg = qemu.get(i);
            if ((arg.equals("-netdev") || arg.equals("-nic")) && i + 1 < qemu.size()) {
                String value = qemu.get(i + 1);
                require(file, !value.startsWith("user") || value.matches(".*\\brestrict=(on|yes|y)\\b.*"),
                        arg + " " + value + ": user networking must have restrict=on (tests reach no network)");
                require(file, value.startsWith("user") || value.startsWith("none"),
                        arg + " " + value + ": only user networking with restrict=on is allowed");
            }
            require(file, !Set.of("-accel", "-kernel", "-initrd", "-append", "-enable-kvm", "-smp", "-qmp", "-monitor",
                    "-serial", "-m").contains(arg), "qemu argument " + arg + " is set by the harness");
        }
        for (Map.Entry<String, List<JsonNode>> action : qmp.entrySet()) {
            String where = "qmp action '" + action.getKey() + "'";
            require(file, NAME.matcher(action.getKey()).matches(), where + ": the name must match " + NAME);
            require(file, action.getValue() != null && !action.getValue().isEmpty(), where + " has no commands");
            for (JsonNode c : action.getValue()) {
                require(file, c != null && c.isObject() && c.path("execute").isTextual(),
                        where + ": each command is a map with 'execute' (and 'arguments'), got " + c);
                String cmd = c.get("execute").asText();
                require(file, QMP_COMMANDS.contains(cmd), where + ": command " + cmd + " is not one of " + QMP_COMMANDS);
                JsonNode args = c.path("arguments");
                require(file, c.size() == (c.has("arguments") ? 2 : 1) && (args.isMissingNode() || args.isObject()),
                        where + ": only 'execute' and a map 'arguments' are allowed in " + c);
                if (cmd.equals("netdev_add")) {
                    require(file, args.path("type").asText().equals("user") && args.path("restrict").asBoolean(false),
                            where + ": netdev_add must be type user with restrict: true (tests reach no network)");
                }
                if (cmd.equals("blockdev-add")) {
                    require(file, args.path("file").path("filename").asText().equals("@HOTDISK@"),
                            where + ": blockdev-add must use file: {driver: file, filename: '@HOTDISK@'}");
                }
            }
        }
    }

    static void require(Path file, boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(file + ": " + message);
        }
    }
}
