package dev.chameleon.sensors;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code migration}: where this VM is to move, as the operator (or a configuration tool: Ansible,
 * cloud-init, the control plane's bundle) wrote it in {@code /etc/chameleon/migration-target}: one
 * word, the target of {@code chameleon readiness --target} ({@code kvm}, {@code vmware},
 * {@code hyperv}, {@code xen}, {@code aws}, {@code azure}, {@code gcp}). Lines starting with
 * {@code #} and blank lines are ignored.
 *
 * <p>Facts: {@code migration.target} (string, lower case). Absent when the file is absent or
 * holds no word. More than one word, or a word that is not a lower-case name, fails the sensor
 * with {@code file:line: why} ({@code meta.sensors.migration}), so a typo is never read as "no
 * target". Not a constant: the file may be written while the agent runs, and the next pass sees it.
 * The pack's {@code migration-*} policies read it (docs/hardware.md).
 */
public final class MigrationSensor implements Sensor {
    public static final String FILE = "/etc/chameleon/migration-target";
    private static final Pattern WORD = Pattern.compile("[a-z][a-z0-9-]{0,31}");

    @Override
    public String name() {
        return "migration";
    }

    @Override
    public Object sense(SensorContext ctx) {
        Map<String, Object> out = new LinkedHashMap<>();
        Optional<String> text = ctx.text(FILE);
        if (text.isEmpty()) {
            return out;
        }
        String[] lines = text.get().split("\n", -1);
        String target = null;
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i].strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            if (target != null || !WORD.matcher(l).matches()) {
                throw new IllegalArgumentException(FILE + ":" + (i + 1) + ": " + (target != null ? "a second target '" + l
                        + "' (the file holds one word)" : "'" + l + "' is not a target name (one lower-case word: kvm, vmware, hyperv, xen, aws, azure, gcp)"));
            }
            target = l;
        }
        if (target != null) {
            out.put("target", target);
            ctx.provenance("migration.target", FILE);
        }
        return out;
    }
}
