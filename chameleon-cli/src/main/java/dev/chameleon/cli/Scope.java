package dev.chameleon.cli;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The options that scoped a command ({@code --root}, {@code --commands}, {@code --policies},
 * {@code --no-default-policies}, {@code --state-dir}, ...: those of {@link HostOptions},
 * {@link PolicyOptions} and {@link StateOptions}), as the user gave them, for the next command a
 * command suggests: a suggestion copied without {@code --root} would act on the live machine.
 */
final class Scope {
    private Scope() {
    }

    /**
     * {@code " --root R --state-dir S"}: each scoping option given on the command line, in the
     * order given, with its values as typed (shell-quoted where needed), plus the command's own
     * options named in {@code also}; empty when none was given.
     */
    static String of(CommandSpec spec, String... also) {
        Set<String> scoping = new HashSet<>(List.of(also));
        for (CommandSpec m : spec.mixins().values()) {
            Object u = m.userObject();
            if (u instanceof HostOptions || u instanceof PolicyOptions || u instanceof StateOptions) {
                m.options().forEach(o -> scoping.add(o.longestName()));
            }
        }
        StringBuilder sb = new StringBuilder();
        for (OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
            if (!scoping.contains(o.longestName())) {
                continue;
            }
            List<String> values = o.originalStringValues();
            if (o.arity().max() == 0 || values.isEmpty()) {
                sb.append(' ').append(o.longestName());
            } else {
                for (String v : values) {
                    sb.append(' ').append(o.longestName()).append(' ').append(quote(v));
                }
            }
        }
        return sb.toString();
    }

    /** {@code s} as one shell word: as it is when it has no special character, else in single quotes. */
    static String quote(String s) {
        return dev.chameleon.engine.EngineConfig.shellWord(s);
    }
}
