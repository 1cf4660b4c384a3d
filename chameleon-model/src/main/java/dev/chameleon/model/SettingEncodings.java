package dev.chameleon.model;

/**
 * Value and key encodings that policies, actuators and the engine share, written once here
 * instead of as strings copied into each: the value of something that does not exist, relative
 * numbers, and the key of a sysctl's boot-time drop-in.
 */
public final class SettingEncodings {
    /** The value of a managed file, drop-in or option line that does not exist ({@code absent}). */
    public static final String ABSENT = "absent";
    /** Prefix of a relative value "at least N" ({@code >=4096}); policies write {@code {atLeast: 4096}}. */
    public static final String AT_LEAST = ">=";
    /** Prefix of a relative value "at most N" ({@code <=64}); policies write {@code {atMost: 64}}. */
    public static final String AT_MOST = "<=";
    /** The setting kind of recommendations for a person: planned and shown, never applied (no actuator). */
    public static final String ADVICE = "advice";
    /** The sysctl kind. */
    public static final String SYSCTL = "sysctl";
    /**
     * Target prefix of a sysctl's boot-time value: {@code sysctl:persist/vm.swappiness} is the
     * drop-in {@code /etc/sysctl.d/90-chameleon-vm.swappiness.conf}; it goes with the running
     * {@code sysctl:vm.swappiness} (a policy's {@code persist: true} wants both).
     */
    public static final String SYSCTL_PERSIST = "persist/";

    private SettingEncodings() {
    }

    /** {@code ">=" + n}. */
    public static String atLeast(String n) {
        return AT_LEAST + n;
    }

    /** {@code "<=" + n}. */
    public static String atMost(String n) {
        return AT_MOST + n;
    }

    /** True for a relative value ({@code >=N} or {@code <=N}, blanks around allowed). */
    public static boolean isRelative(String value) {
        String d = value.strip();
        return d.startsWith(AT_LEAST) || d.startsWith(AT_MOST);
    }

    /** The boot-time key of a sysctl: {@code sysctl:vm.swappiness} → {@code sysctl:persist/vm.swappiness}. */
    public static SettingKey sysctlPersisted(String name) {
        return new SettingKey(SYSCTL, SYSCTL_PERSIST + name);
    }

    /** True for {@code sysctl:persist/NAME}. */
    public static boolean isSysctlPersisted(SettingKey key) {
        return key.kind().equals(SYSCTL) && key.target().startsWith(SYSCTL_PERSIST);
    }

    /** The sysctl's name of {@code sysctl:NAME} or {@code sysctl:persist/NAME}. */
    public static String sysctlName(SettingKey key) {
        String t = key.target();
        return t.startsWith(SYSCTL_PERSIST) ? t.substring(SYSCTL_PERSIST.length()) : t;
    }

    /**
     * The settings that go with {@code key} when it is chosen alone ({@code apply --only}): a
     * sysctl's boot-time drop-in goes with the sysctl. True when {@code other} is {@code key}
     * itself or such a companion of it.
     */
    public static boolean goesWith(SettingKey key, SettingKey other) {
        return other.equals(key) || key.kind().equals(SYSCTL) && !isSysctlPersisted(key) && other.equals(sysctlPersisted(key.target()));
    }

    /**
     * Whether {@code v} is a CPU list as systemd's {@code AllowedCPUs=} (and the cgroup v2
     * {@code cpuset.cpus}) takes it: indexes and ascending ranges, comma-separated ({@code 0-3,6}).
     */
    public static boolean cpuList(String v) {
        if (v == null || !v.matches("\\d{1,4}(-\\d{1,4})?(,\\d{1,4}(-\\d{1,4})?)*")) {
            return false;
        }
        for (String part : v.split(",")) {
            String[] r = part.split("-");
            if (r.length == 2 && Integer.parseInt(r[0]) > Integer.parseInt(r[1])) {
                return false;
            }
        }
        return true;
    }
}
