package dev.chameleon.engine;

import dev.chameleon.actuators.Journal;
import dev.chameleon.model.ChangeSet;
import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.JournalEntry;
import dev.chameleon.model.Reason;
import dev.chameleon.model.SettingKey;
import dev.chameleon.policy.Policy;
import dev.chameleon.policy.PolicySet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Transient policies ({@code spec.transient: true}): their settings are applied while they match
 * and put back when they stop matching, to the values the journal recorded before them.
 *
 * <p>The rule, decided at every plan (so {@code plan}, {@code apply} and the daemon agree): for every
 * key whose newest verified change in a standing change set (status {@code applied}) was made by a
 * transient policy of the loaded set, when no matching policy wants that key now, the key is
 * desired at that change's {@code before} value, with the reason {@code policy put-back:NAME}
 * ({@link #PUT_BACK}). Apply writes it as any change (journalled, verified, undone with its set on
 * failure), after which the newest change of the key is the put-back and nothing more is asked.
 * Not put back: keys another policy now wants (it decides), keys of a transient policy that is
 * no longer loaded (as with any removed policy, its values stay), and keys of a {@code for:}
 * policy whose state cannot be known without the daemon's history (a one-shot {@code apply} while
 * the condition holds must not undo what the daemon applied).
 */
public final class TransientUndo {
    /** How the reason of a put-back names the policy: {@code put-back:NAME}. */
    public static final String PUT_BACK = "put-back:";

    private TransientUndo() {
    }

    /** {@code ev} with the put-backs the journal calls for added (after the policies' settings); {@code ev} itself when none. */
    public static PolicySet.Evaluation withPutBacks(PolicySet policies, PolicySet.Evaluation ev, Journal journal) {
        Map<String, Policy> transients = new HashMap<>();
        for (Policy p : policies.policies()) {
            if (p.transientMode()) {
                transients.put(p.name(), p);
            }
        }
        if (transients.isEmpty()) {
            return ev;
        }
        Set<String> undecided = new HashSet<>();
        if (!ev.history()) {
            // without the daemon's history a for: policy's state is not known (keepFor may still hold it)
            transients.values().stream().filter(p -> p.holdFor() != null).forEach(p -> undecided.add(p.name()));
        }
        Set<SettingKey> wanted = new HashSet<>();
        ev.desired().forEach(d -> wanted.add(d.key()));
        // the newest verified change of each key in a standing change set, in journal order
        Map<String, Newest> newest = new LinkedHashMap<>();
        for (Journal.Loaded l : journal.list()) {
            if (!l.ok()) {
                continue;
            }
            ChangeSet cs = l.changeSet();
            for (JournalEntry e : cs.entries()) {
                if (!cs.status().equals(ChangeSet.APPLIED) || !e.state().equals(JournalEntry.VERIFIED)) {
                    // a set undone, or a change not verified: an older standing change is still the machine's
                    continue;
                }
                newest.remove(e.key());
                newest.put(e.key(), new Newest(cs.id(), e));
            }
        }
        List<DesiredSetting> putBacks = new ArrayList<>();
        for (Newest n : newest.values()) {
            String policy = Reason.policyOf(n.entry().reason()).orElse("");
            Policy p = transients.get(policy);
            if (p == null || undecided.contains(policy)) {
                continue;
            }
            SettingKey key = SettingKey.parse(n.entry().key());
            if (wanted.contains(key)) {
                continue;
            }
            putBacks.add(new DesiredSetting(key, n.entry().before(), new Reason(PUT_BACK + policy, "journal " + n.changeSet()
                    + " #" + n.entry().seq(), p.priority(), "transient policy " + policy + " no longer matches", List.of(), "")));
        }
        if (putBacks.isEmpty()) {
            return ev;
        }
        List<DesiredSetting> desired = new ArrayList<>(ev.desired());
        desired.addAll(putBacks);
        return new PolicySet.Evaluation(desired, ev.outcomes(), ev.overridden(), ev.modes(), ev.history());
    }

    private record Newest(String changeSet, JournalEntry entry) {
    }
}
