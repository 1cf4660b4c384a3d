package dev.chameleon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bash completion and the man page the .deb installs, generated from the picocli model: real
 * bash completes words with the generated script, and man(1) renders the page.
 */
class ShellFilesTest {
    @TempDir
    Path tmp;

    @Test
    void bashCompletesCommandsOptionsAndValuesFromTheModel() throws Exception {
        ShellFiles.main(new String[] {tmp.toString()});
        Path script = tmp.resolve("chameleon.bash");
        String complete = """
                source %s
                t() { COMP_LINE="$1"; read -ra COMP_WORDS <<<"$1"; [ "${1: -1}" = " " ] && COMP_WORDS+=("");
                      COMP_CWORD=$((${#COMP_WORDS[@]}-1)); COMPREPLY=(); _complete_chameleon 2>/dev/null; echo "[${COMPREPLY[*]}]"; }
                t "chameleon pla"; t "chameleon rollback --la"; t "chameleon plan -o "; t "chameleon history -"
                """.formatted(script);
        Proc p = Proc.run(List.of("bash", "-c", complete), 30);
        assertThat(p.code()).as(p.out()).isZero();
        assertThat(p.out().lines().toList()).as(p.out()).hasSize(4).satisfies(l -> {
            assertThat(l.get(0)).isEqualTo("[plan]");
            assertThat(l.get(1)).isEqualTo("[--last]");
            assertThat(l.get(2)).isEqualTo("[table json yaml]");
            assertThat(l.get(3)).contains("--state-dir").contains("--output");
        });
        assertThat(Files.readString(tmp.resolve("_chameleon"))).startsWith("#compdef chameleon\n").contains("bashcompinit");
    }

    @Test
    void manPageRendersEveryCommandAndTheExitCodes() throws Exception {
        ShellFiles.main(new String[] {tmp.toString()});
        String roff;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(tmp.resolve("chameleon.1.gz")))) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            in.transferTo(b);
            roff = b.toString(java.nio.charset.StandardCharsets.UTF_8);
        }
        assertThat(roff).startsWith(".TH CHAMELEON 1");
        Proc man = Proc.run(List.of("env", "MANWIDTH=80", "man", "--warnings", "-l", tmp.resolve("chameleon.1.gz").toString()), 30);
        assertThat(man.code()).as(man.out()).isZero();
        for (String cmd : Cli.subcommands().keySet()) {
            assertThat(man.out()).contains("chameleon " + cmd);
        }
        assertThat(man.out()).contains("chameleon policy validate").contains("EXIT STATUS")
                .contains("3  plan --exit-code: changes pending").contains("--state-dir").doesNotContain("warning");
    }
}
