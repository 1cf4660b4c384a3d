package dev.chameleon.engine.hardware;

import dev.chameleon.policy.HardwareProfile;
import dev.chameleon.policy.HardwareProfileParser;
import dev.chameleon.policy.PolicyError;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shipped {@code HardwareProfile} documents ({@code hardware/profiles/NAME.yaml} in the jar:
 * general, network-heavy, storage-heavy, database, gpu-compute) and profile files an operator
 * gives; both read by {@link HardwareProfileParser}.
 */
public final class HardwareProfiles {
    /** The shipped profiles' names, in this order. */
    public static final List<String> BUILTIN = List.of("general", "network-heavy", "storage-heavy", "database", "gpu-compute");

    private HardwareProfiles() {
    }

    /** The shipped profiles by name; a problem in one is a defect of the build (thrown). */
    public static Map<String, HardwareProfile> builtin() {
        Map<String, HardwareProfile> out = new LinkedHashMap<>();
        for (String name : BUILTIN) {
            String res = "/hardware/profiles/" + name + ".yaml";
            try (InputStream in = HardwareProfiles.class.getResourceAsStream(res)) {
                if (in == null) {
                    throw new IllegalStateException(res + " is missing from the jar");
                }
                List<PolicyError> errors = new ArrayList<>();
                List<HardwareProfile> ps = HardwareProfileParser.parse("pack:hardware/" + name + ".yaml",
                        new String(in.readAllBytes(), StandardCharsets.UTF_8), errors);
                if (!errors.isEmpty()) {
                    throw new IllegalStateException(errors.get(0).format());
                }
                ps.forEach(p -> out.put(p.name(), p));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    /**
     * The profiles of one file, added over {@code into} (a profile of the same name replaces the
     * shipped one); problems are added to {@code errors} (unreadable file: line 0).
     */
    public static void load(Path file, Map<String, HardwareProfile> into, List<PolicyError> errors) {
        String text;
        try {
            if (Files.size(file) > dev.chameleon.policy.PolicyParser.MAX_FILE_BYTES) {
                errors.add(new PolicyError(file.toString(), 0, 0, "file is " + Files.size(file)
                        + " bytes; profile files are limited to " + dev.chameleon.policy.PolicyParser.MAX_FILE_BYTES + " bytes", ""));
                return;
            }
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException | UncheckedIOException e) {
            String why = e instanceof java.nio.file.NoSuchFileException ? "no such file"
                    : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : e instanceof java.nio.charset.MalformedInputException || e.getCause() instanceof java.nio.charset.CharacterCodingException
                    ? "not UTF-8 text" : String.valueOf(e.getMessage());
            errors.add(new PolicyError(file.toString(), 0, 0, "cannot read the profile file: " + why, ""));
            return;
        }
        for (HardwareProfile p : HardwareProfileParser.parse(file.toString(), text, errors)) {
            into.put(p.name(), p);
        }
    }
}
