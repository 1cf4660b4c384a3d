package dev.chameleon.policy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The systemd units a transient policy may shift resource controls between: the units of the
 * applications the apps sensor recognises, and the distributions' periodic batch jobs
 * ({@code resource-units.yaml} on the classpath, loaded once).
 */
public final class ResourceUnits {
    static final String RESOURCE = "/dev/chameleon/policy/resource-units.yaml";
    /** The service kind's resource controls, which transient policies may set only on recognised units. */
    public static final List<String> CONTROLS = List.of("CPUWeight", "IOWeight", "MemoryHigh", "MemoryMax", "AllowedCPUs");

    private final Map<String, String> owner; // unit pattern -> application name, or "batch"

    private ResourceUnits(Map<String, String> owner) {
        this.owner = Map.copyOf(owner);
    }

    private static volatile ResourceUnits standard;

    /** The table shipped with the agent. */
    public static ResourceUnits standard() {
        ResourceUnits s = standard;
        if (s == null) {
            s = load();
            standard = s;
        }
        return s;
    }

    @SuppressWarnings("unchecked")
    private static ResourceUnits load() {
        try (InputStream in = ResourceUnits.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " missing from the classpath");
            }
            Map<String, Object> doc = new Yaml(new LoaderOptions()).load(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            Map<String, String> owner = new LinkedHashMap<>();
            ((Map<String, List<String>>) doc.get("applications")).forEach((app, units) -> units.forEach(u -> owner.put(u, app)));
            ((List<String>) doc.get("batch")).forEach(u -> owner.put(u, "batch"));
            return new ResourceUnits(owner);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + RESOURCE, e);
        }
    }

    /** {@code name} as systemd reads it: a name without a type suffix is a {@code .service}. */
    static String unit(String name) {
        return name.contains(".") && name.matches(".*\\.(service|socket|slice|scope|target|timer|mount)$") ? name : name + ".service";
    }

    /** Which recognised application (or {@code batch}) the unit belongs to; empty when none. */
    public Optional<String> ownerOf(String name) {
        String u = unit(name);
        String exact = owner.get(u);
        if (exact != null) {
            return Optional.of(exact);
        }
        for (var e : owner.entrySet()) {
            String p = e.getKey();
            int star = p.indexOf('*');
            if (star >= 0 && u.startsWith(p.substring(0, star)) && u.endsWith(p.substring(star + 1))
                    && u.length() > p.length() - 1) {
                return Optional.of(e.getValue());
            }
        }
        return Optional.empty();
    }

    /** Every unit pattern, for messages. */
    public List<String> units() {
        return new ArrayList<>(owner.keySet());
    }
}
