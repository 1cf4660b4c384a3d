package dev.chameleon.policy;

import java.util.List;

/**
 * A compiled {@code kind: Profile} document: a named, includable bundle of settings, like a
 * TuneD profile with {@code include=}. Policies apply profiles with {@code spec.profiles}.
 *
 * <p>Resolution: a profile's settings are its own, then those of each included profile (in the
 * order written, recursively) whose key it does not set itself; the including side wins. An
 * include cycle is a compile error at the include that closes it.
 *
 * @param name        {@code metadata.name}, unique among loaded profiles
 * @param description {@code metadata.description}, or empty
 * @param file        where it was read from
 * @param line        1-based line of the document's start
 * @param includes    {@code spec.include}: other profiles' names, with positions
 * @param settings    its own typed settings, in written order
 */
public record Profile(String name, String description, String file, int line, List<Ref> includes,
                      List<SettingRule> settings) {
    public Profile {
        includes = List.copyOf(includes);
        settings = List.copyOf(settings);
    }

    public String location() {
        return file + ":" + line;
    }
}
