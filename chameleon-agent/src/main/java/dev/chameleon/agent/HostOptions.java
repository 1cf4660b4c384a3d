package dev.chameleon.agent;

import dev.chameleon.host.Host;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options that choose the machine: {@code --root} and {@code --commands}. */
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

    /** Per-request limit of the metadata probe; null: the probe's default. Set from agent.yaml's cloudMetadata.timeout. */
    java.time.Duration cloudMetadataTimeout;

    /** The metadata probe as the options say: off unless --cloud-metadata. */
    dev.chameleon.sensors.platform.MetadataProbe.Options metadata() {
        try {
            if (!cloudMetadata) {
                return dev.chameleon.sensors.platform.MetadataProbe.Options.disabled();
            }
            var o = dev.chameleon.sensors.platform.MetadataProbe.Options.enabled(cloudMetadataUrl);
            return cloudMetadataTimeout == null ? o
                    : new dev.chameleon.sensors.platform.MetadataProbe.Options(true, o.baseUrl(), cloudMetadataTimeout);
        } catch (IllegalArgumentException e) {
            throw new UserError(ExitCode.BAD_INPUT, "--cloud-metadata-url: " + e.getMessage());
        }
    }

    Host host() {
        if (root != null && root.toString().isEmpty()) {
            throw new UserError(ExitCode.BAD_INPUT, "--root '': empty; give the machine tree's folder (a typo must not mean the current folder)");
        }
        if (commands != null && commands.toString().isEmpty()) {
            throw new UserError(ExitCode.BAD_INPUT, "--commands '': empty; give the folder of canned command output");
        }
        if (root != null && !Files.exists(root)) {
            throw new UserError(ExitCode.BAD_INPUT, "--root " + root + ": no such folder");
        }
        if (root != null && Files.exists(root) && !Files.isDirectory(root)) {
            throw new UserError(ExitCode.BAD_INPUT, "--root " + root + ": not a folder");
        }
        if (commands != null && root == null) {
            throw new UserError(ExitCode.BAD_INPUT, "--commands needs --root: canned command output is never mixed "
                    + "with the files of the machine this runs on");
        }
        if (commands != null && !Files.isDirectory(commands)) {
            throw new UserError(ExitCode.BAD_INPUT, "--commands " + commands + ": no such folder (a fixture case without "
                    + "commands/ is run with --root alone)");
        }
        return Host.forOptions(root, commands);
    }
}
