package dev.chameleon.engine;

import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the engine refuses or fails to do, typed by what it means for the caller: {@link BadInput}
 * (a configuration, a policy or a selection that cannot be used; nothing was changed),
 * {@link Refused} (not allowed now: not root, another process holds the state lock) and
 * {@link Failed} (it could not be done: the journal is unreadable, a change set cannot start).
 * The command line maps them to exit codes 2, 4 and 1; the daemon reports them as events.
 */
public abstract sealed class EngineException extends RuntimeException {
    EngineException(String message) {
        super(message);
    }

    /**
     * Input that cannot be used; nothing was changed.
     *
     * <p>When the problem is one configuration setting, {@link #setting()} names it as the
     * engine's configuration does ({@code root}, {@code stateDir}, {@code only}) and the problem
     * may name other settings as {@code ${name}}; {@link #describe} writes both the way the caller
     * calls them ({@code --root}, {@code --state-dir} on the command line).
     */
    public static final class BadInput extends EngineException {
        private static final Pattern REF = Pattern.compile("\\$\\{(\\w+)}");
        private final String setting;
        private final String problem;

        /** A problem with one setting; {@code problem} starts with its separator (" X: no such folder", ": not a URL"). */
        public BadInput(String setting, String problem) {
            super(render(setting, problem, Function.identity()));
            this.setting = setting;
            this.problem = problem;
        }

        /** A problem not about one setting (policies that do not compile, an unknown sensor). */
        public BadInput(String message) {
            this(null, message);
        }

        /** The setting, or null. */
        public String setting() {
            return setting;
        }

        /** The message with settings named by {@code names} ({@code root} → {@code --root}). */
        public String describe(Function<String, String> names) {
            return render(setting, problem, names);
        }

        private static String render(String setting, String problem, Function<String, String> names) {
            Matcher m = REF.matcher(problem);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                m.appendReplacement(sb, Matcher.quoteReplacement(names.apply(m.group(1))));
            }
            m.appendTail(sb);
            return (setting == null ? "" : names.apply(setting)) + sb;
        }
    }

    /** Not allowed now; nothing was changed. */
    public static final class Refused extends EngineException {
        public Refused(String message) {
            super(message);
        }
    }

    /** It could not be done; the message says what was and was not changed. */
    public static final class Failed extends EngineException {
        public Failed(String message) {
            super(message);
        }
    }
}
