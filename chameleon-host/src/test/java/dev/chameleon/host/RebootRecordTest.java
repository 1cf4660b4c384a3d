package dev.chameleon.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reading the reboot record and Debian's reboot-required.pkgs: damaged or hostile files stay readable and small. */
class RebootRecordTest {
    @Test
    void controlCharactersAreShownAsQuestionMarksAndOddLinesAreSkipped() {
        Map<String, String> m = RebootRecord.parse("# header\nno tab here\n\tno key\n \t\npackage:x\tinstalled 2 \u001b[31mred\u001b[0m\n"
                + "k\t\n");
        assertThat(m).containsExactly(Map.entry("package:x", "installed 2 ?[31mred?[0m"), Map.entry("k", ""));
    }

    @Test
    void aHugeRecordIsCutAtItsLimitAndSaysSo() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 50_000; i++) {
            sb.append("package:p").append(i).append("\tinstalled\n");
        }
        Map<String, String> m = RebootRecord.parse(sb.toString());
        assertThat(m).hasSize(RebootRecord.MAX_ENTRIES + 1);
        assertThat(m.get("(more)")).contains("more than " + RebootRecord.MAX_ENTRIES);
    }

    @Test
    void packagesAreDistinctDebianNamesInOrderAtMostTheLimit() {
        assertThat(RebootRecord.packages("linux-image-6.1.0-28-amd64\nlinux-image-6.1.0-28-amd64\n\nlibc6\n\u001b]0;x\u0007\nNot A Name\n"))
                .containsExactly("linux-image-6.1.0-28-amd64", "libc6");
        // 300,000 lines (Debian appends a name per package upgraded): read once each, at most the limit kept
        String many = "libc6\n".repeat(300_000) + "p1\np2\n";
        assertThat(RebootRecord.packages(many)).containsExactly("libc6", "p1", "p2");
        StringBuilder distinct = new StringBuilder();
        for (int i = 0; i < 30_000; i++) {
            distinct.append("pkg").append(i).append('\n');
        }
        List<String> cut = RebootRecord.packages(distinct.toString());
        assertThat(cut).hasSize(RebootRecord.MAX_ENTRIES).startsWith("pkg0", "pkg1");
    }
}
