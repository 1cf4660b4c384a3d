package dev.chameleon.model;

import java.util.Objects;

/**
 * One setting the policies want, with the reason it is wanted.
 *
 * @param key    what to set ({@code sysctl:vm.swappiness})
 * @param value  the desired value in the kind's own text form ({@code 10}, {@code loaded}, {@code none})
 * @param reason which policy wants it and why
 */
public record DesiredSetting(SettingKey key, String value, Reason reason) {
    public DesiredSetting {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(reason, "reason");
    }
}
