package dev.chameleon.sensors;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code security}: CPU vulnerabilities, SMT, kernel lockdown, LSMs, Secure Boot and the
 * mitigation switches on the kernel command line.
 *
 * <ul>
 *   <li>{@code vulnerabilities}: map from the file name under
 *       {@code /sys/devices/system/cpu/vulnerabilities} ({@code spectre_v2}) to
 *       {@code {state, detail}}; state is {@code not-affected}, {@code mitigated},
 *       {@code vulnerable} or {@code unknown} (the kernel said "Unknown" or something new);
 *       detail is the kernel's text after the state word. Absent when the folder is.</li>
 *   <li>{@code smt}: {@code {control, active}} from {@code /sys/devices/system/cpu/smt/control}
 *       ({@code on|off|forceoff|notsupported|notimplemented}) and {@code smt/active} (boolean).</li>
 *   <li>{@code lockdown}: {@code none|integrity|confidentiality}, the bracketed word of
 *       {@code /sys/kernel/security/lockdown}; absent when securityfs or the LSM is absent.</li>
 *   <li>{@code lsms}: list of active LSMs from {@code /sys/kernel/security/lsm}.</li>
 *   <li>{@code selinux.mode}: {@code enforcing|permissive} from {@code /sys/fs/selinux/enforce};
 *       {@code disabled} only when the LSM list is readable and lacks selinux; else absent.</li>
 *   <li>{@code apparmor}: {@code enabled} (boolean, {@code /sys/module/apparmor/parameters/enabled}),
 *       {@code profiles}, {@code enforce}, {@code complain} (long counts from
 *       {@code /sys/kernel/security/apparmor/profiles}, absent when unreadable).</li>
 *   <li>{@code boot}: {@code uefi} (boolean: {@code /sys/firmware/efi} exists; absent when
 *       {@code /sys/firmware} is not visible) and {@code secureBoot} (boolean, the last byte of
 *       the {@code SecureBoot-8be4df61-…} efivar; absent when unreadable or not UEFI).</li>
 *   <li>{@code cmdlineMitigations}: map of the mitigation-related parameters on
 *       {@code /proc/cmdline} to their value ({@code ""} for a bare switch such as {@code nosmt}).</li>
 * </ul>
 *
 * <p>Constants (kept in the {@link FactCache}; fixed at boot): vulnerabilities, lsms, boot,
 * cmdlineMitigations. SMT, lockdown, SELinux and AppArmor can change while the machine runs and
 * are re-read. The agent drops the cache on every kernel uevent (a CPU hotplug or a late
 * microcode load) and on SIGHUP.
 */
public final class SecuritySensor implements Sensor {
    static final String VULN = "/sys/devices/system/cpu/vulnerabilities";
    static final String SECURE_BOOT = "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";
    /** Kernel parameters that switch CPU-vulnerability mitigations (kernel-parameters.txt). */
    static final Set<String> MITIGATION_PARAMS = Set.of("mitigations", "nospectre_v1", "nospectre_v2", "spectre_v2",
            "spectre_v2_user", "spectre_bhi", "spec_store_bypass_disable", "nospec_store_bypass_disable", "ssbd",
            "pti", "nopti", "kpti", "l1tf", "mds", "tsx", "tsx_async_abort", "nosmt", "retbleed", "srbds",
            "mmio_stale_data", "gather_data_sampling", "reg_file_data_sampling", "spec_rstack_overflow",
            "l1d_flush", "nospectre_bhb", "kvm.nx_huge_pages", "kvm-intel.vmentry_l1d_flush", "lockdown",
            "module.sig_enforce", "init_on_alloc", "init_on_free", "page_alloc.shuffle", "slab_nomerge",
            "randomize_kstack_offset", "selinux", "apparmor", "security", "lsm", "efi");

    @Override
    public String name() {
        return "security";
    }

    @Override
    public Object sense(SensorContext ctx) {
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Object> vulns = ctx.constant("vulnerabilities", () -> {
            Map<String, Object> m = new LinkedHashMap<>();
            for (String v : ctx.root().list(VULN)) {
                ctx.value(VULN + "/" + v).ifPresent(text -> m.put(v, parseVulnerability(text)));
            }
            return m;
        });
        if (!vulns.isEmpty()) {
            out.put("vulnerabilities", vulns);
            ctx.provenance("security.vulnerabilities", VULN);
        }
        Map<String, Object> smt = new LinkedHashMap<>();
        ctx.value("/sys/devices/system/cpu/smt/control").filter(s -> !s.isEmpty()).ifPresent(v -> smt.put("control", v));
        ctx.value("/sys/devices/system/cpu/smt/active").filter(s -> s.equals("0") || s.equals("1"))
                .ifPresent(v -> smt.put("active", v.equals("1")));
        if (!smt.isEmpty()) {
            out.put("smt", smt);
            ctx.provenance("security.smt", "/sys/devices/system/cpu/smt");
        }
        ctx.value("/sys/kernel/security/lockdown").flatMap(SecuritySensor::bracketed).ifPresent(v -> {
            out.put("lockdown", v);
            ctx.provenance("security.lockdown", "/sys/kernel/security/lockdown");
        });
        Optional<List<String>> lsms = Optional.ofNullable(ctx.constant("lsms", () -> ctx.value("/sys/kernel/security/lsm")
                .map(s -> List.of(s.split(",")).stream().map(String::strip).filter(x -> !x.isEmpty()).toList()).orElse(null)));
        lsms.ifPresent(l -> {
            out.put("lsms", l);
            ctx.provenance("security.lsms", "/sys/kernel/security/lsm");
        });
        Optional<String> enforce = ctx.value("/sys/fs/selinux/enforce");
        if (enforce.isPresent() && (enforce.get().equals("1") || enforce.get().equals("0"))) {
            out.put("selinux", Map.of("mode", enforce.get().equals("1") ? "enforcing" : "permissive"));
            ctx.provenance("security.selinux", "/sys/fs/selinux/enforce");
        } else if (lsms.isPresent() && !lsms.get().contains("selinux")) {
            out.put("selinux", Map.of("mode", "disabled"));
            ctx.provenance("security.selinux", "/sys/kernel/security/lsm");
        }
        Map<String, Object> aa = new LinkedHashMap<>();
        ctx.value("/sys/module/apparmor/parameters/enabled").filter(s -> s.equals("Y") || s.equals("N"))
                .ifPresent(v -> aa.put("enabled", v.equals("Y")));
        ctx.text("/sys/kernel/security/apparmor/profiles").ifPresent(t -> aa.putAll(parseAppArmorProfiles(t)));
        if (!aa.isEmpty()) {
            out.put("apparmor", aa);
            ctx.provenance("security.apparmor", "/sys/module/apparmor, /sys/kernel/security/apparmor");
        }
        Map<String, Object> boot = ctx.constant("boot", () -> {
            Map<String, Object> b = new LinkedHashMap<>();
            if (ctx.root().isDirectory("/sys/firmware")) {
                boolean uefi = ctx.root().isDirectory("/sys/firmware/efi");
                b.put("uefi", uefi);
                if (uefi) {
                    ctx.root().readBytes(SECURE_BOOT, 64).flatMap(SecuritySensor::parseEfiBoolean)
                            .ifPresent(v -> b.put("secureBoot", v));
                }
            }
            return b;
        });
        if (!boot.isEmpty()) {
            out.put("boot", boot);
            ctx.provenance("security.boot", "/sys/firmware/efi");
        }
        Map<String, Object> mitigations = ctx.constant("cmdlineMitigations",
                () -> ctx.value("/proc/cmdline").map(SecuritySensor::parseCmdlineMitigations).orElse(null));
        if (mitigations != null) {
            out.put("cmdlineMitigations", mitigations);
            ctx.provenance("security.cmdlineMitigations", "/proc/cmdline");
        }
        return out;
    }

    /**
     * One vulnerabilities file: {@code Mitigation: Retpolines; STIBP: disabled} →
     * {@code {state: mitigated, detail: "Retpolines; STIBP: disabled"}}.
     */
    public static Map<String, Object> parseVulnerability(String text) {
        String t = text.strip();
        String lower = t.toLowerCase(java.util.Locale.ROOT);
        String state;
        String detail;
        if (lower.startsWith("not affected")) {
            state = "not-affected";
            detail = rest(t, "not affected".length());
        } else if (lower.startsWith("mitigation")) {
            state = "mitigated";
            detail = rest(t, "mitigation".length());
        } else if (lower.startsWith("kvm: mitigation")) {
            state = "mitigated";
            detail = t;
        } else if (lower.startsWith("vulnerable")) {
            state = "vulnerable";
            detail = rest(t, "vulnerable".length());
        } else if (lower.startsWith("processor vulnerable") || lower.startsWith("kvm: vulnerable")) {
            state = "vulnerable";
            detail = t;
        } else {
            state = "unknown";
            detail = lower.startsWith("unknown") ? rest(t, "unknown".length()) : t;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("state", state);
        out.put("detail", detail);
        return out;
    }

    private static String rest(String t, int from) {
        String r = t.substring(from).strip();
        return r.startsWith(":") ? r.substring(1).strip() : r;
    }

    /** The bracketed word of a sysfs choice list ({@code none [integrity] confidentiality}). */
    static Optional<String> bracketed(String text) {
        int a = text.indexOf('[');
        int b = text.indexOf(']', a + 1);
        return a >= 0 && b > a + 1 ? Optional.of(text.substring(a + 1, b)) : Optional.empty();
    }

    /** Counts of {@code /sys/kernel/security/apparmor/profiles} lines ({@code name (enforce)}). */
    public static Map<String, Object> parseAppArmorProfiles(String text) {
        long total = 0;
        long enforce = 0;
        long complain = 0;
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            total++;
            if (line.strip().endsWith("(enforce)")) {
                enforce++;
            } else if (line.strip().endsWith("(complain)")) {
                complain++;
            }
        }
        return Map.of("profiles", total, "enforce", enforce, "complain", complain);
    }

    /** An efivar holding a boolean: 4 attribute bytes, then one data byte (1 = on). */
    public static Optional<Boolean> parseEfiBoolean(byte[] bytes) {
        return bytes.length == 5 ? Optional.of(bytes[4] == 1) : Optional.empty();
    }

    /** The mitigation-related parameters on a kernel command line, in order. */
    public static Map<String, Object> parseCmdlineMitigations(String cmdline) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String word : cmdline.strip().split("\\s+")) {
            int eq = word.indexOf('=');
            String key = eq < 0 ? word : word.substring(0, eq);
            if (MITIGATION_PARAMS.contains(key)) {
                out.put(key, eq < 0 ? "" : word.substring(eq + 1));
            }
        }
        return out;
    }
}
