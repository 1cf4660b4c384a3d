package dev.chameleon.cli;

import dev.chameleon.engine.Engine;
import dev.chameleon.engine.EngineConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Options that choose the machine and how it is sensed: {@code --root}, {@code --commands},
 * {@code --cloud-metadata}, {@code --no-sensor}/{@code --sensor}. Every command maps its options
 * onto one {@link EngineConfig} through here ({@link #engine}), so every command senses the same way.
 */
final class HostOptions {
    @Option(names = "--root", paramLabel = "DIR",
            description = "Read (and for apply, write) the machine's files under DIR instead of /. "
                    + "Without --commands, no command runs.")
    Path root;

    @Option(names = "--commands", paramLabel = "DIR",
            description = "Answer commands from canned output in DIR (DIR/<name>, DIR/<name>.exit), as in the fixtures.")
    Path commands;

    @Option(names = "--cloud-metadata", description = "Also ask the cloud's instance metadata service (AWS IMDSv2, GCE, Azure IMDS; "
            + "500 ms per request). Off by default: sensing is otherwise local.")
    boolean cloudMetadata;

    @Option(names = "--cloud-metadata-url", paramLabel = "URL", description = "Address of the metadata service (default: ${DEFAULT-VALUE}).")
    String cloudMetadataUrl = dev.chameleon.sensors.platform.MetadataProbe.Options.DEFAULT_URL;

    @Option(names = "--no-sensor", paramLabel = "NAME", description = "Switch this sensor off (repeatable): it does not run and "
            + "meta.sensors.NAME says disabled. Sensors: platform, cpu, memory, gpus, nics, disks, os, kernel, security, apps, migration, host, updates.")
    List<String> sensorsOff = new ArrayList<>();

    @Option(names = "--sensor", paramLabel = "NAME", description = "Switch this sensor on (repeatable; all are on unless "
            + "--no-sensor or agent.yaml's sensors turn one off).")
    List<String> sensorsOn = new ArrayList<>();

    /** Maps the options given onto {@code b}, over what it holds (agent.yaml's values for {@code run}). */
    void configure(EngineConfig.Builder b) {
        b.root(root).commands(commands).cloudMetadataUrl(cloudMetadataUrl);
        if (cloudMetadata) {
            b.cloudMetadata(true);
        }
        sensorsOff.forEach(s -> b.sensor(s, false));
        sensorsOn.forEach(s -> b.sensor(s, true));
    }

    /** The engine these options, {@code policies} and {@code state} (each may be null: defaults) describe. */
    Engine engine(PolicyOptions policies, StateOptions state) {
        return Engine.of(config(policies, state));
    }

    /** The configuration these options, {@code policies} and {@code state} (each may be null) describe. */
    EngineConfig config(PolicyOptions policies, StateOptions state) {
        EngineConfig.Builder b = EngineConfig.builder();
        configure(b);
        if (policies != null) {
            policies.configure(b);
        }
        if (state != null) {
            state.configure(b);
        }
        return b.build();
    }
}
