package dev.chameleon.model;

import java.util.Objects;

/**
 * One line of a plan: a desired setting compared with what the machine has now.
 *
 * @param setting the desired setting and its reason
 * @param action  {@link Action#CHANGE} when the machine differs, {@link Action#OK} when it already
 *                matches, {@link Action#NOT_APPLICABLE} when the setting cannot exist here,
 *                {@link Action#ERROR} when the current value could not be read, {@link Action#UNKNOWN}
 *                when planned without the machine and only the machine could tell
 * @param current the current value in normalised form; empty string when absent or unreadable
 * @param note    for not-applicable and error entries, the reason in words; for others an
 *                optional remark (for example {@code pending-reboot: ...}); else empty
 * @param target  the exact value apply would write and verify, normalised: the desired value,
 *                or for relative values ({@code >=4096}) the value it resolves to here; empty
 *                for not-applicable and error entries
 */
public record PlanEntry(DesiredSetting setting, Action action, String current, String note, String target) {
    public enum Action {
        CHANGE("change"), OK("ok"), NOT_APPLICABLE("not-applicable"), ERROR("error"),
        /** Planned without the machine (a simulation) and not decidable so; the note says what it would take. */
        UNKNOWN("unknown");

        private final String label;

        Action(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    public PlanEntry {
        Objects.requireNonNull(setting, "setting");
        Objects.requireNonNull(action, "action");
        current = current == null ? "" : current;
        note = note == null ? "" : note;
        target = target == null ? "" : target;
    }

    /** An entry whose target is the desired value as written. */
    public PlanEntry(DesiredSetting setting, Action action, String current, String note) {
        this(setting, action, current, note, action == Action.CHANGE || action == Action.OK ? setting.value() : "");
    }

    public SettingKey key() {
        return setting.key();
    }
}
