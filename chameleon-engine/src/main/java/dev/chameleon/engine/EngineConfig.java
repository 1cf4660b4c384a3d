package dev.chameleon.engine;

import dev.chameleon.sensors.Sensors;
import dev.chameleon.sensors.platform.MetadataProbe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Everything the engine is assembled from: which machine (a root folder and canned commands, or
 * this machine), which sensors and whether the cloud metadata service is asked, which policies
 * (the built-in pack, the machine's {@code /etc/chameleon/policies.d}, more files and folders),
 * and where the journal lives. Built with {@link #builder()}, which refuses a bad value with a
 * precise message before anything runs; {@link Engine#of} assembles the parts.
 *
 * @param root            the machine's files are read (and for apply written) under this folder; null: this machine
 * @param commands        canned command output ({@code DIR/NAME}, {@code DIR/NAME.exit}); null: real commands
 *                        on this machine, or none at all with a root
 * @param metadata        whether and how the cloud's instance metadata service is asked (off by default)
 * @param sensorsOff      sensors switched off, by name ({@code apps}, {@code gpus}); reported {@code disabled}
 * @param builtinPolicies load the built-in policy pack
 * @param systemPolicies  load {@value #SYSTEM_POLICIES} under the root, when it exists
 * @param policyPaths     more policy folders (their {@code *.yaml} and {@code *.yml}) and files, in order
 * @param stateDir        the journal's folder, taken as given; null: {@code /var/lib/chameleon} under the root
 */
public record EngineConfig(Path root, Path commands, MetadataProbe.Options metadata, List<String> sensorsOff,
                           boolean builtinPolicies, boolean systemPolicies, List<Path> policyPaths, Path stateDir) {
    /** The machine's own policy folder, read through the root. */
    public static final String SYSTEM_POLICIES = "/etc/chameleon/policies.d";
    /** The default state folder, under the root. */
    public static final String DEFAULT_STATE = "/var/lib/chameleon";

    public EngineConfig {
        Objects.requireNonNull(metadata, "metadata");
        sensorsOff = List.copyOf(sensorsOff);
        policyPaths = List.copyOf(policyPaths);
    }

    /**
     * The command-line options that select this machine, policies and state folder, for a command
     * the program suggests to its user: {@code " --root R --commands C --state-dir S
     * --no-default-policies --no-system-policies --policies P"}, each only where this
     * configuration differs from the default, values shell-quoted where needed; empty for this
     * machine with the defaults. A suggestion without them would act on the live machine.
     */
    public String scopeOptions() {
        StringBuilder sb = new StringBuilder(machineOptions());
        if (!builtinPolicies) {
            sb.append(" --no-default-policies");
        }
        if (!systemPolicies) {
            sb.append(" --no-system-policies");
        }
        for (Path p : policyPaths) {
            sb.append(" --policies ").append(shellWord(p.toString()));
        }
        return sb.toString();
    }

    /**
     * As {@link #scopeOptions()} without the policy options: {@code " --root R --commands C --state-dir S"}, for the
     * commands that take only those ({@code rollback}, {@code history}, {@code tune --recover}).
     */
    public String machineOptions() {
        StringBuilder sb = new StringBuilder();
        if (root != null) {
            sb.append(" --root ").append(shellWord(root.toString()));
        }
        if (commands != null) {
            sb.append(" --commands ").append(shellWord(commands.toString()));
        }
        if (stateDir != null) {
            sb.append(" --state-dir ").append(shellWord(stateDir.toString()));
        }
        return sb.toString();
    }

    private static final java.util.regex.Pattern PLAIN_WORD = java.util.regex.Pattern.compile("[A-Za-z0-9_./:=@%+,-]+");

    /** {@code s} as one shell word: as it is when it has no special character, else in single quotes. */
    public static String shellWord(String s) {
        return PLAIN_WORD.matcher(s).matches() ? s : "'" + s.replace("'", "'\\''") + "'";
    }

    /** A builder with the defaults: this machine, every sensor, no metadata service, pack and policies.d, the default state folder. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration, to change some of it. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.root = root;
        b.commands = commands;
        b.metadata = metadata;
        b.cloudMetadata = metadata.enabled();
        b.cloudMetadataUrl = metadata.baseUrl();
        b.cloudMetadataTimeout = metadata.timeout();
        b.sensorsOff.addAll(sensorsOff);
        b.builtinPolicies = builtinPolicies;
        b.systemPolicies = systemPolicies;
        b.policyPaths.addAll(policyPaths);
        b.stateDir = stateDir;
        return b;
    }

    /**
     * Builds an {@link EngineConfig}, Caffeine-style: each setter checks its own value at once
     * (an empty path is refused), {@link #build()} checks what needs several values or the file
     * system, before anything runs. A later call of a setter overrides an earlier one: the daemon's
     * configuration lays the command line's values over agent.yaml's. Every refusal is an
     * {@link EngineException.BadInput} naming the setting ({@code root}, {@code commands},
     * {@code cloudMetadataUrl}, {@code stateDir}; the caller names them its own way).
     */
    public static final class Builder {
        private Path root;
        private Path commands;
        private boolean cloudMetadata;
        private String cloudMetadataUrl = MetadataProbe.Options.DEFAULT_URL;
        private Duration cloudMetadataTimeout;
        private MetadataProbe.Options metadata;
        private final List<String> sensorsOff = new ArrayList<>();
        private boolean builtinPolicies = true;
        private boolean systemPolicies = true;
        private final List<Path> policyPaths = new ArrayList<>();
        private Path stateDir;
        private boolean rootMayBeMissing;

        private Builder() {
        }

        /**
         * Accepts a root folder that does not exist, as a machine without files: a captured case
         * that holds only canned command output (a policy test's {@code spec.root}). The command
         * line never sets it: there a missing {@code --root} is a typo.
         */
        public Builder rootMayBeMissing() {
            rootMayBeMissing = true;
            return this;
        }

        /** Reads (and for apply writes) the machine's files under {@code dir}; null: this machine. */
        public Builder root(Path dir) {
            if (dir != null && dir.toString().isEmpty()) {
                throw new EngineException.BadInput("root", " '': empty; give the machine tree's folder (a typo must not mean the current folder)");
            }
            root = dir;
            return this;
        }

        /** Answers commands from canned output in {@code dir}; needs a root. */
        public Builder commands(Path dir) {
            if (dir != null && dir.toString().isEmpty()) {
                throw new EngineException.BadInput("commands", " '': empty; give the folder of canned command output");
            }
            commands = dir;
            return this;
        }

        /** Asks the cloud's instance metadata service too (off by default: sensing is otherwise local). */
        public Builder cloudMetadata(boolean on) {
            cloudMetadata = on;
            metadata = null;
            return this;
        }

        /** Where the metadata service answers (default {@value MetadataProbe.Options#DEFAULT_URL}); checked by {@link #build()}. */
        public Builder cloudMetadataUrl(String url) {
            cloudMetadataUrl = Objects.requireNonNull(url, "url");
            metadata = null;
            return this;
        }

        /** Per-request limit of the metadata service; null: the probe's default (500 ms). */
        public Builder cloudMetadataTimeout(Duration timeout) {
            cloudMetadataTimeout = timeout;
            metadata = null;
            return this;
        }

        /** Switches the sensor {@code name} off ({@code on} false) or back on. Names are checked by {@link #build()}. */
        public Builder sensor(String name, boolean on) {
            Objects.requireNonNull(name, "name");
            sensorsOff.remove(name);
            if (!on) {
                sensorsOff.add(name);
            }
            return this;
        }

        /** Loads the built-in policy pack (default true). */
        public Builder builtinPolicies(boolean on) {
            builtinPolicies = on;
            return this;
        }

        /** Loads {@value EngineConfig#SYSTEM_POLICIES} under the root when it exists (default true). */
        public Builder systemPolicies(boolean on) {
            systemPolicies = on;
            return this;
        }

        /** Also loads these policy folders or files, in order (a folder or file given twice loads once). */
        public Builder policies(List<Path> paths) {
            for (Path p : paths) {
                policyPaths.add(Objects.requireNonNull(p, "policy path"));
            }
            return this;
        }

        /** Loads these policy folders or files instead of those given so far (the command line over agent.yaml's {@code policies.dirs}). */
        public Builder replacePolicies(List<Path> paths) {
            policyPaths.clear();
            return policies(paths);
        }

        /** Keeps the journal in {@code dir}, taken as given; null: {@value EngineConfig#DEFAULT_STATE} under the root. */
        public Builder stateDir(Path dir) {
            stateDir = dir == null ? null : dir.toAbsolutePath();
            return this;
        }

        /**
         * The configuration.
         *
         * @throws EngineException.BadInput a root that is missing or not a folder; canned commands
         *                                  without a root or not a folder; a metadata URL that is
         *                                  not one; an unknown sensor name
         */
        public EngineConfig build() {
            if (root != null && !Files.exists(root) && !rootMayBeMissing) {
                throw new EngineException.BadInput("root", " " + root + ": no such folder");
            }
            if (root != null && Files.exists(root) && !Files.isDirectory(root)) {
                throw new EngineException.BadInput("root", " " + root + ": not a folder");
            }
            if (commands != null && root == null) {
                throw new EngineException.BadInput("commands", " needs ${root}: canned command output is never mixed "
                        + "with the files of the machine this runs on");
            }
            if (commands != null && !Files.isDirectory(commands)) {
                throw new EngineException.BadInput("commands", " " + commands + ": no such folder (a fixture case without "
                        + "commands/ is run with ${root} alone)");
            }
            for (String s : sensorsOff) {
                if (!Sensors.NAMES.contains(s)) {
                    throw new EngineException.BadInput("no sensor named '" + s + "'; known: " + Sensors.NAMES);
                }
            }
            MetadataProbe.Options m = metadata;
            if (m == null) {
                m = MetadataProbe.Options.disabled();
                if (cloudMetadata) {
                    try {
                        m = MetadataProbe.Options.enabled(cloudMetadataUrl);
                        if (cloudMetadataTimeout != null) {
                            m = new MetadataProbe.Options(true, m.baseUrl(), cloudMetadataTimeout);
                        }
                    } catch (IllegalArgumentException e) {
                        throw new EngineException.BadInput("cloudMetadataUrl", ": " + e.getMessage());
                    }
                }
            }
            return new EngineConfig(root, commands, m, sensorsOff, builtinPolicies, systemPolicies, policyPaths, stateDir);
        }
    }
}
