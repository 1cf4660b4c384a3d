package dev.chameleon.policy.settings;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every setting kind a policy may use, in the order messages list them. The engine checks this
 * list against the registered actuators ({@code SettingKindsMatchActuatorsTest}): a kind without
 * an actuator, or an actuator without a kind, fails the build.
 */
public final class SettingKinds {
    private static final List<SettingKind> STANDARD = List.of(new SysctlSetting(), new SysfsSetting(), new BlockQueueSetting(),
            new HugepagesSetting(), new KernelModuleSetting(), new ServiceSetting(), new FileSetting(), new KernelCmdlineSetting(),
            new TunedProfileSetting(), new NicSetting(), new NicSysctlSetting(), new PackageSetting(), new InitramfsSetting());
    private static final Map<String, SettingKind> BY_NAME = new LinkedHashMap<>();

    static {
        for (SettingKind k : STANDARD) {
            BY_NAME.put(k.name(), k);
        }
    }

    private SettingKinds() {
    }

    /** The kinds, in the order messages list them. */
    public static List<SettingKind> standard() {
        return STANDARD;
    }

    /** Their names: sysctl, sysfs, blockQueue, hugepages, kernelModule, service, file, kernelCmdline, tunedProfile, nic, nicSysctl, package, initramfs. */
    public static List<String> names() {
        return List.copyOf(BY_NAME.keySet());
    }

    public static Optional<SettingKind> named(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }
}
