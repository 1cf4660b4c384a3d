package dev.chameleon.cli.vm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Checks one step's output against its {@link VmScenario.Expect}; returns every problem found
 * (empty when all expectations hold), each in words a person can act on.
 */
final class StepExpectations {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StepExpectations() {
    }

    static List<String> check(VmScenario.Step step, ConsoleLog.StepOutput out) {
        VmScenario.Expect expect = step.expect();
        List<String> problems = new ArrayList<>();
        if (out.exitCode() != expect.exitCode()) {
            problems.add("exit code: expected " + expect.exitCode() + " but was " + out.exitCode()
                    + (out.exitCode() == 137 ? " (137: killed, e.g. by the step timeout of "
                    + step.timeoutSeconds() + " s)" : ""));
        }
        String all = out.stdout() + "\n" + out.stderr();
        for (String s : expect.contains()) {
            if (!all.contains(s)) {
                problems.add("output does not contain \"" + s + "\"");
            }
        }
        for (String s : expect.notContains()) {
            if (all.contains(s)) {
                problems.add("output contains \"" + s + "\", which it must not");
            }
        }
        if (expect.json() != null) {
            JsonNode actual = parseJson(out.stdout());
            if (actual == null) {
                problems.add("stdout is not JSON, so cannot check json " + expect.json());
            } else {
                subset("$", expect.json(), actual, problems);
            }
        }
        return problems;
    }

    /** The whole stdout as JSON, or else the text from its first '{' to its last '}'; null if neither parses. */
    static JsonNode parseJson(String stdout) {
        String text = stdout.strip();
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            int from = text.indexOf('{');
            int to = text.lastIndexOf('}');
            if (from >= 0 && to > from) {
                try {
                    return JSON.readTree(text.substring(from, to + 1));
                } catch (JsonProcessingException ignored) {
                    return null;
                }
            }
            return null;
        }
    }

    /**
     * Every key of an expected object must be present and match; an expected array matches when
     * each of its elements matches some element of the actual array; scalars compare as numbers
     * when both are numbers, otherwise as text (so YAML {@code vmware} equals JSON {@code "vmware"}).
     */
    static void subset(String path, JsonNode expected, JsonNode actual, List<String> problems) {
        if (expected.isObject()) {
            if (!actual.isObject()) {
                problems.add(path + ": expected an object but was " + actual);
                return;
            }
            Iterator<Map.Entry<String, JsonNode>> fields = expected.properties().iterator();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                JsonNode a = actual.get(f.getKey());
                String p = path + "." + f.getKey();
                if (a == null) {
                    problems.add(p + ": missing (expected " + f.getValue() + "); keys present: "
                            + iterable(actual.fieldNames()));
                } else {
                    subset(p, f.getValue(), a, problems);
                }
            }
        } else if (expected.isArray()) {
            if (!actual.isArray()) {
                problems.add(path + ": expected an array but was " + actual);
                return;
            }
            for (int i = 0; i < expected.size(); i++) {
                boolean found = false;
                for (JsonNode a : actual) {
                    List<String> sub = new ArrayList<>();
                    subset(path, expected.get(i), a, sub);
                    if (sub.isEmpty()) {
                        found = true;
                        break;
                    }
                }
                if (!found) {
                    problems.add(path + ": no element matches " + expected.get(i) + " in " + actual);
                }
            }
        } else if (!scalarEquals(expected, actual)) {
            problems.add(path + ": expected " + expected + " but was " + actual);
        }
    }

    private static boolean scalarEquals(JsonNode expected, JsonNode actual) {
        if (expected.isNull() || actual.isNull()) {
            return expected.isNull() && actual.isNull();
        }
        if (!actual.isValueNode()) {
            return false;
        }
        if (expected.isNumber() && actual.isNumber()) {
            return new BigDecimal(expected.asText()).compareTo(new BigDecimal(actual.asText())) == 0;
        }
        return expected.asText().equals(actual.asText());
    }

    private static List<String> iterable(Iterator<String> it) {
        List<String> list = new ArrayList<>();
        it.forEachRemaining(list::add);
        return list;
    }
}
