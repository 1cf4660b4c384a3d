package dev.chameleon.engine.hardware;

import dev.chameleon.model.FactSet;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The platforms hardware advice and readiness know, read from the shipped data file
 * {@code hardware/platforms.yaml}: each platform's paravirtual drivers, the modules its
 * initramfs needs, its guest agent, cloud-init datasource, serial console and the fix templates.
 * Adding a platform or changing a fix is an edit of that file, not of code.
 */
public final class Platforms {
    /** The target names, in the data file's order: kvm, vmware, hyperv, xen, aws, azure, gcp. */
    public static final List<String> NAMES;
    private static final Map<String, Platform> ALL;

    static {
        Map<String, Platform> m = new LinkedHashMap<>();
        try (InputStream in = Platforms.class.getResourceAsStream("/hardware/platforms.yaml")) {
            if (in == null) {
                throw new IllegalStateException("hardware/platforms.yaml is missing from the jar");
            }
            Map<String, Object> doc = new Yaml(new LoaderOptions()).load(in);
            doc.forEach((name, v) -> m.put(name, Platform.of(name, map(v))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ALL = Map.copyOf(m);
        NAMES = List.copyOf(m.keySet());
    }

    private Platforms() {
    }

    /**
     * One platform.
     *
     * @param name            the target name ({@code kvm}, {@code aws})
     * @param label           for people ({@code KVM/QEMU (libvirt)})
     * @param format          what its fixes are: {@code libvirt-xml}, {@code vmx}, {@code powershell}, {@code xl-cfg}, {@code instance-type}
     * @param nicDrivers      its paravirtual NIC drivers ({@code nics[].driver} values)
     * @param diskDrivers     its paravirtual storage drivers ({@code disks[].driver} values)
     * @param storageModules  modules the initramfs needs to find the root disk there; {@code a|b}: either
     * @param networkModules  modules the initramfs needs for the network there; {@code a|b}: either
     * @param agentPackage    the guest agent's package
     * @param agentPrograms   programs any of which shows the agent is installed
     * @param datasource      cloud-init's datasource there
     * @param cloudInitRequired whether the platform needs cloud-init (a cloud) or only uses it when present
     * @param console         the serial console device ({@code ttyS0}, {@code hvc0})
     * @param fixes           fix templates by check name ({@code nic.model}), with {@code {count}}-style fields
     */
    public record Platform(String name, String label, String format, List<String> nicDrivers, List<String> diskDrivers,
            List<String> storageModules, List<String> networkModules, String agentPackage, List<String> agentPrograms,
            String datasource, boolean cloudInitRequired, String console, Map<String, String> fixes) {
        static Platform of(String name, Map<String, Object> m) {
            Map<String, Object> modules = map(m.get("modules"));
            Map<String, Object> agent = map(m.get("agent"));
            Map<String, String> fixes = new LinkedHashMap<>();
            map(m.get("fixes")).forEach((k, v) -> fixes.put(k, String.valueOf(v)));
            return new Platform(name, (String) m.get("label"), (String) m.get("format"), strings(m.get("nicDrivers")),
                    strings(m.get("diskDrivers")), strings(modules.get("storage")), strings(modules.get("network")),
                    (String) agent.get("package"), strings(agent.get("programs")), (String) m.get("datasource"),
                    Boolean.TRUE.equals(m.get("cloudInitRequired")), (String) m.get("console"), Map.copyOf(fixes));
        }

        /** The fix for {@code check} with {@code fields} filled in, or empty when the data file has none. */
        public Optional<String> fix(String check, Map<String, String> fields) {
            String t = fixes.get(check);
            if (t == null) {
                return Optional.empty();
            }
            for (Map.Entry<String, String> f : fields.entrySet()) {
                t = t.replace("{" + f.getKey() + "}", f.getValue());
            }
            return Optional.of(t);
        }
    }

    /** The platform named {@code name}, or empty. */
    public static Optional<Platform> get(String name) {
        return Optional.ofNullable(ALL.get(name));
    }

    /**
     * The platform the facts show: the cloud when it is aws, azure or gcp, else the hypervisor
     * ({@code kvm} and {@code qemu} both mean kvm: libvirt drives both), else empty (bare metal,
     * VirtualBox, an unknown VM, a container without its VM layer).
     */
    public static Optional<Platform> detected(FactSet facts) {
        String cloud = facts.getString("platform.cloud").orElse("");
        if (ALL.containsKey(cloud) && !List.of("kvm", "vmware", "hyperv", "xen").contains(cloud)) {
            return get(cloud);
        }
        String hv = facts.getString("platform.hypervisor").orElse("");
        return get(hv.equals("qemu") ? "kvm" : hv);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    static List<String> strings(Object o) {
        return o instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of();
    }
}
