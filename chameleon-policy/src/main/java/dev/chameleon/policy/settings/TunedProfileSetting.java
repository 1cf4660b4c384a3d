package dev.chameleon.policy.settings;

import dev.chameleon.policy.Syntax;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/** {@code - tunedProfile: {profile: virtual-guest}}: TuneD's active profile (a word). Rule: {@code tunedProfile:active}. */
final class TunedProfileSetting implements SettingKind {
    @Override
    public String name() {
        return "tunedProfile";
    }

    @Override
    public Set<String> keys() {
        return Set.of("profile");
    }

    @Override
    public void read(Syntax in, Node body, Rules out) {
        Map<String, NodeTuple> m = in.mapping(body, "tunedProfile", keys());
        String profile = m == null ? null : in.required(m, body, "profile", "tunedProfile", "{profile: virtual-guest}");
        if (profile != null && in.word(m, "profile", profile, "tunedProfile.profile")) {
            out.add("active", profile);
        }
    }
}
