package dev.chameleon.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The codecs: round trips, and every refusal positioned at its line and column. */
class WireTest {
    private static final String PAYLOAD = "{\"mode\":\"plan\",\"pendingChanges\":3}";

    @Test
    void reportBatchRoundTrip() throws Exception {
        ReportBatch b = new ReportBatch(List.of(
                new Report("r-1", ReportKind.STATUS, "2026-12-04T13:00:00Z", PAYLOAD),
                new Report("r-2", ReportKind.FACTS, "2026-12-04T13:00:01Z", "{\"platform\":{\"hypervisor\":\"kvm\"}}")));
        ReportBatch back = Wire.readReportBatch(Wire.write(b));
        assertThat(back).isEqualTo(b);
    }

    @Test
    void payloadIsKeptAsCompactJsonText() throws Exception {
        ReportBatch b = Wire.readReportBatch("""
                {"reports": [ {"id": "a", "kind": "event", "time": "2026-12-04T13:00:00Z",
                  "payload": { "type" : "drift", "keys": [ "sysctl:vm.swappiness" ] } } ]}""");
        assertThat(b.reports().get(0).payload()).isEqualTo("{\"type\":\"drift\",\"keys\":[\"sysctl:vm.swappiness\"]}");
    }

    private static WireFormatException batchError(String text) {
        try {
            Wire.readReportBatch(text);
        } catch (WireFormatException e) {
            return e;
        }
        throw new AssertionError("accepted: " + text);
    }

    @Test
    void reportBatchRefusals() {
        WireFormatException e = batchError("{\"reports\": [\n {\"id\": \"a\", \"kind\": \"gossip\", \"time\": \"2026-12-04T13:00:00Z\", \"payload\": {}}]}");
        assertThat(e.line()).isEqualTo(2);
        assertThat(e.getMessage()).contains("kind 'gossip' is not one of");
        assertThat(batchError("{\"reports\": [{\"id\": \"a b\", \"kind\": \"status\", \"time\": \"2026-12-04T13:00:00Z\", \"payload\": {}}]}")
                .getMessage()).contains("id must be");
        assertThat(batchError("{\"reports\": [{\"id\": \"a\", \"kind\": \"status\", \"time\": \"yesterday\", \"payload\": {}}]}")
                .getMessage()).contains("ISO-8601");
        assertThat(batchError("{\"reports\": [{\"id\": \"a\", \"kind\": \"status\", \"time\": \"2026-12-04T13:00:00Z\", \"payload\": [1]}]}")
                .getMessage()).contains("payload must be a JSON object");
        assertThat(batchError("{\"reports\": [{\"id\": \"a\", \"kind\": \"status\", \"time\": \"2026-12-04T13:00:00Z\", \"payload\": {}},"
                + "{\"id\": \"a\", \"kind\": \"status\", \"time\": \"2026-12-04T13:00:00Z\", \"payload\": {}}]}").getMessage()).contains("twice");
        assertThat(batchError("{\"reports\": [{\"id\": \"a\", \"kind\": \"status\"}]}").getMessage()).contains("lacks the string field 'time'");
        assertThat(batchError("{\"reports\": 3}").getMessage()).contains("reports must be an array");
        assertThat(batchError("{}").getMessage()).contains("'reports'");
        assertThat(batchError("[]").getMessage()).contains("JSON object");
        assertThat(batchError("").getMessage()).contains("JSON object");
        WireFormatException broken = batchError("{\"reports\": [\n  {\"id\": \"a\",,}]}");
        assertThat(broken.line()).isEqualTo(2);
        assertThat(broken.column()).isGreaterThan(1);
        assertThat(broken.getMessage()).contains("malformed JSON");
        assertThat(batchError("{\"reports\": [], \"reports\": []}").getMessage()).contains("Duplicate field");
        assertThat(batchError("{\"reports\": []} {}").getMessage()).contains("after the JSON object");
    }

    @Test
    void batchSizeIsBounded() {
        StringBuilder sb = new StringBuilder("{\"reports\":[");
        for (int i = 0; i <= ReportBatch.MAX_REPORTS; i++) {
            sb.append(i == 0 ? "" : ",").append("{\"id\":\"r").append(i)
                    .append("\",\"kind\":\"status\",\"time\":\"2026-12-04T13:00:00Z\",\"payload\":{}}");
        }
        assertThat(batchError(sb.append("]}").toString()).getMessage()).contains("at most " + ReportBatch.MAX_REPORTS);
    }

    @Test
    void deepNestingAndHugeNumbersAreRefused() {
        String deep = "{\"reports\":[{\"id\":\"a\",\"kind\":\"status\",\"time\":\"2026-12-04T13:00:00Z\",\"payload\":"
                + "{\"a\":".repeat(Json.MAX_DEPTH + 5) + "1" + "}".repeat(Json.MAX_DEPTH + 5) + "}]}";
        // said in the wire's terms at its position, not by Jackson's setting (issue 14)
        assertThat(batchError(deep).getMessage()).contains("nested deeper than 64 levels").doesNotContain("StreamReadConstraints")
                .matches("1:\\d+: .*");
        assertThatThrownBy(() -> Json.parse("{\"n\": 123456789012345678901234567890}"))
                .hasMessageContaining("out of range");
    }

    @Test
    void enrollmentRoundTrip() throws Exception {
        EnrollRequest r = new EnrollRequest("che_x.y", "web-1", "0.1.0", Map.of("platform", Map.of("hypervisor", "kvm")));
        assertThat(Wire.readEnrollRequest(Wire.write(r))).isEqualTo(r);
        EnrollResponse a = new EnrollResponse("ag_1", "cha_1.s", new BundleKey("abcd", "Ed25519", "AAAA"));
        assertThat(Wire.readEnrollResponse(Wire.write(a))).isEqualTo(a);
        assertThatThrownBy(() -> Wire.readEnrollRequest("{\"hostname\": \"x\"}")).hasMessageContaining("enrollToken");
        assertThatThrownBy(() -> Wire.readEnrollRequest("{\"enrollToken\": 5, \"hostname\": \"x\"}"))
                .hasMessageContaining("must be a string");
    }

    @Test
    void bundleFileNamesMustBeSafe() {
        assertThat(BundleFile.validName("policies/web.yaml")).isTrue();
        assertThat(BundleFile.validName(".manifest")).isTrue();
        for (String bad : List.of("../etc/passwd", "/etc/passwd", "a//b", "a/./b", "a b", "", "a/")) {
            assertThat(BundleFile.validName(bad)).as(bad).isFalse();
        }
        assertThatThrownBy(() -> Wire.readBundle("{\"files\":[{\"name\":\"../x\",\"content\":\"\"}]}"))
                .hasMessageContaining("not a safe relative path");
        assertThatThrownBy(() -> Wire.readBundle("{\"files\":[{\"name\":\"a\",\"content\":\"\"},{\"name\":\"a\",\"content\":\"\"}]}"))
                .hasMessageContaining("twice");
    }

    @Test
    void receiptAndErrorRoundTrip() throws Exception {
        ReportReceipt r = new ReportReceipt(List.of("a"), List.of("b"));
        assertThat(Wire.readReportReceipt(Wire.write(r))).isEqualTo(r);
        ErrorBody e = new ErrorBody("agent unknown", ErrorBody.REENROLL, List.of("x"), "req-1");
        assertThat(Wire.readError(Wire.write(e))).isEqualTo(e);
    }

    @Test
    void canonicalJsonSortsKeysAndIsStable() throws Exception {
        Object t = Json.parse("{\"b\": [1, 2.5, true, null], \"a\": {\"z\": \"é\\n\", \"y\": 1}}");
        assertThat(Json.canonical(t)).isEqualTo("{\"a\":{\"y\":1,\"z\":\"é\\n\"},\"b\":[1,2.5,true,null]}");
        assertThat(Json.canonical(Json.parse(Json.canonical(t)))).isEqualTo(Json.canonical(t));
    }
}
