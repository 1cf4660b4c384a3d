package dev.chameleon.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.chameleon.model.json.ChangeSetCodec;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal's streaming JSON against the ObjectMapper the journal used before (indented output,
 * unknown properties ignored): the same bytes written, the same change set read, from each other's files.
 */
class ChangeSetCodecTest {
    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    @TempDir
    Path tmp;

    @Provide
    Arbitrary<ChangeSet> changeSets() {
        Arbitrary<String> text = Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(40), Arbitraries.strings().all().ofMaxLength(12),
                Arbitraries.of("", "mode=0644 owner=0:0 content=AAEC", "quote \" back\\slash\nnewline\ttab", "é ü 日本 \uD83D\uDE00"));
        Arbitrary<String> maybe = Arbitraries.oneOf(text, Arbitraries.just(null));
        Arbitrary<JournalEntry> entry = Combinators.combine(Arbitraries.integers().between(0, 1000), maybe, maybe, maybe,
                        Combinators.combine(maybe, maybe, maybe, maybe).as(java.util.Arrays::asList))
                .as((seq, key, before, after, rest) -> new JournalEntry(seq, key, before, after, rest.get(0), rest.get(1), rest.get(2), rest.get(3)));
        return Combinators.combine(Arbitraries.longs().between(0, Long.MAX_VALUE), maybe, maybe, maybe,
                        Combinators.combine(maybe, maybe, entry.list().ofMaxSize(4)).as((a, b, c) -> java.util.Arrays.asList(a, b, c)))
                .as((seq, id, createdAt, trigger, rest) -> new ChangeSet(seq, id, createdAt, trigger, (String) rest.get(0),
                        (String) rest.get(1), castEntries(rest.get(2))));
    }

    @SuppressWarnings("unchecked")
    static List<JournalEntry> castEntries(Object o) {
        return (List<JournalEntry>) o;
    }

    @Property(tries = 300)
    void writesWhatTheObjectMapperWroteAndReadsItBack(@ForAll("changeSets") ChangeSet cs) throws Exception {
        byte[] ours = ChangeSetCodec.write(cs);
        assertThat(new String(ours, java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo(new String(MAPPER.writeValueAsBytes(cs), java.nio.charset.StandardCharsets.UTF_8));
        Path f = Files.createTempFile("changeset", ".json");
        try {
            Files.write(f, ours);
            assertThat(ChangeSetCodec.read(f)).isEqualTo(cs).isEqualTo(MAPPER.readValue(f.toFile(), ChangeSet.class));
        } finally {
            Files.delete(f);
        }
    }

    @Test
    void readsLikeTheObjectMapperDid() throws Exception {
        Path f = tmp.resolve("a.json");
        Files.writeString(f, """
                {"id": "20261129-100000-000", "sequence": "7", "status": "applied", "future": {"x": [1, 2]},
                 "entries": [{"seq": 1, "key": "sysctl:vm.swappiness", "before": 60, "after": 10, "state": "verified", "note": null}]}
                """);
        ChangeSet cs = ChangeSetCodec.read(f);
        assertThat(cs).isEqualTo(MAPPER.readValue(f.toFile(), ChangeSet.class));
        assertThat(cs.sequence()).isEqualTo(7);
        assertThat(cs.message()).as("absent: empty, as the record makes it").isEmpty();
        assertThat(cs.trigger()).isNull();
        assertThat(cs.entries().get(0).before()).isEqualTo("60");
        assertThat(cs.entries().get(0).reason()).isNull();
    }

    @Test
    void whatTheObjectMapperRefusedIsRefusedWithALocation() throws Exception {
        for (String text : List.of("{\"id\": \"trunc", "[]", "{\"id\": \"x\", \"status\": \"applied\"}",
                "{\"entries\": [{\"key\": {\"a\": 1}}]}", "{\"sequence\": \"seven\", \"entries\": []}", "\u0000\u0001")) {
            Path f = tmp.resolve("bad.json");
            Files.writeString(f, text);
            assertThatThrownBy(() -> MAPPER.readValue(f.toFile(), ChangeSet.class)).as("the mapper: " + text)
                    .isInstanceOf(JsonProcessingException.class);
            assertThatThrownBy(() -> ChangeSetCodec.read(f)).as(text).isInstanceOf(JsonProcessingException.class)
                    .satisfies(e -> assertThat(((JsonProcessingException) e).getLocation()).isNotNull());
        }
    }
}
