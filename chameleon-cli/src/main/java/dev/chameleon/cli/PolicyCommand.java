package dev.chameleon.cli;

import dev.chameleon.policy.FactSchema;
import dev.chameleon.policy.PolicyError;
import dev.chameleon.policy.PolicyException;
import dev.chameleon.policy.PolicySet;
import dev.chameleon.policy.PolicyTest;
import dev.chameleon.policy.PolicyTests;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code chameleon policy validate|test|schema}: tools for people who write policies. */
@Command(name = "policy", mixinStandardHelpOptions = true,
        description = "Check, test and describe policies.",
        subcommands = {PolicyCommand.Validate.class, PolicyCommand.Test.class, PolicyCommand.Schema.class})
final class PolicyCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "say what to do: validate, test or schema");
    }

    /** Where a JSON Schema lives on the classpath. */
    static final String JSON_SCHEMA = dev.chameleon.policy.PolicySet.JSON_SCHEMA;

    /**
     * {@code policy validate FILE…}: compiles the files together with the built-in pack (so
     * references to its profiles resolve and conflicts with it show). Exit 0 when all compile,
     * 2 with every positioned error otherwise.
     */
    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = "Compile policy files (with the built-in pack) and report every error with its position. "
                    + "Without arguments: the built-in pack itself.")
    static final class Validate implements Callable<Integer> {
        @Parameters(paramLabel = "FILE|DIR", arity = "0..*", description = "Policy files or folders (default: the built-in pack).")
        List<Path> files = new ArrayList<>();

        @Option(names = "--no-default-policies", description = "Validate without the built-in pack.")
        boolean noDefaults;

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table, json or yaml (default: ${DEFAULT-VALUE})")
        OutputFormat output = OutputFormat.table;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            List<PolicyError> errors = new ArrayList<>();
            List<PolicySet.Source> sources = new ArrayList<>(noDefaults ? List.of() : PolicySet.defaultPack());
            List<PolicySet.Source> mine;
            if (files.isEmpty()) {
                // as 'policy test' without arguments: the built-in pack is what is checked
                if (noDefaults) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "nothing to validate: give policy files or folders, or leave out --no-default-policies to check the built-in pack");
                }
                mine = PolicySet.defaultPack();
            } else {
                mine = dev.chameleon.engine.Engine.paths(files, errors);
            }
            // a file whose first document is a Tuning or a HardwareProfile is checked by that kind's own reader, which
            // refuses a document of another kind after it at its kind: (docs/policy-reference.md), as `tune` and the agent do
            int tunings = 0;
            int hardwareProfiles = 0;
            List<PolicyError> otherErrors = new ArrayList<>();
            List<PolicySet.Source> tuningFiles = new ArrayList<>();
            for (PolicySet.Source s : files.isEmpty() ? List.<PolicySet.Source>of() : mine) {
                switch (dev.chameleon.policy.PolicyParser.readerOf(s.text())) {
                    case TUNING -> tuningFiles.add(s);
                    case HARDWARE_PROFILE ->
                            hardwareProfiles += dev.chameleon.policy.HardwareProfileParser.parse(s.name(), s.text(), otherErrors).size();
                    case POLICY -> sources.add(s);
                }
            }
            // read together, as the agent loads them: a Tuning name used twice is an error, as a policy name is
            List<PolicyError> tuningWarnings = new ArrayList<>();
            tunings = dev.chameleon.policy.TuningParser.parseAll(tuningFiles, otherErrors, tuningWarnings).size();
            PolicySet set = null;
            if (errors.isEmpty()) {
                try {
                    set = PolicySet.compile(sources);
                } catch (PolicyException e) {
                    errors.addAll(e.errors());
                }
            }
            errors.addAll(otherErrors);
            boolean ok = set != null && errors.isEmpty();
            PrintWriter out = spec.commandLine().getOut();
            Set<String> names = mine.stream().map(PolicySet.Source::name).collect(Collectors.toSet());
            if (output == OutputFormat.table) {
                if (ok) {
                    long policies = set.policies().stream().filter(p -> names.contains(p.file())).count();
                    long profiles = set.profiles().stream().filter(p -> names.contains(p.file())).count();
                    long tests = set.tests().stream().filter(p -> names.contains(p.file())).count();
                    out.printf("ok: %d file(s): %d policies, %d profiles, %d tests%s%n", mine.size(), policies, profiles, tests,
                            (tunings > 0 ? ", " + tunings + " tunings" : "") + (hardwareProfiles > 0 ? ", " + hardwareProfiles + " hardware profiles" : ""));
                    List<PolicyError> warnings = new ArrayList<>(set.warnings().stream().filter(w -> names.contains(w.file())).toList());
                    warnings.addAll(tuningWarnings);
                    for (PolicyError w : warnings) {
                        spec.commandLine().getErr().println(w.format("warning"));
                    }
                    if (!warnings.isEmpty()) {
                        spec.commandLine().getErr().printf("%d warning(s)%n", warnings.size());
                    }
                } else {
                    spec.commandLine().getErr().println(errors.stream().map(PolicyError::format).collect(Collectors.joining("\n")));
                    spec.commandLine().getErr().printf("%d error(s)%n", errors.size());
                }
            } else {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("ok", ok);
                m.put("files", mine.stream().map(PolicySet.Source::name).toList());
                List<Object> errs = new ArrayList<>();
                for (PolicyError e : errors) {
                    errs.add(positioned(e));
                }
                m.put("errors", errs);
                List<Object> warns = new ArrayList<>();
                for (PolicyError w : set == null ? List.<PolicyError>of() : set.warnings()) {
                    if (names.contains(w.file())) {
                        warns.add(positioned(w));
                    }
                }
                if (set != null) {
                    tuningWarnings.forEach(w -> warns.add(positioned(w)));
                }
                m.put("warnings", warns);
                out.print(Render.as(output, m));
                if (output == OutputFormat.json) {
                    out.println();
                }
            }
            out.flush();
            spec.commandLine().getErr().flush();
            return ok ? ExitCode.OK : ExitCode.BAD_INPUT;
        }
    }

    /**
     * {@code policy test [DIR|FILE…]}: runs the {@code kind: PolicyTest} documents found in the
     * given files against the policies in them plus the built-in pack; without arguments, runs
     * the built-in pack's own tests. Exit 0 when all pass, 1 when any fails, 2 when the
     * policies or tests do not compile.
     */
    /** {file, line, column, message, excerpt} of an error or warning, for -o json|yaml. */
    static Map<String, Object> positioned(PolicyError e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", e.file());
        m.put("line", e.line());
        m.put("column", e.column());
        m.put("message", e.message());
        m.put("excerpt", e.excerpt());
        return m;
    }

    @Command(name = "test", mixinStandardHelpOptions = true,
            description = "Run policy tests (kind: PolicyTest): facts in, expected settings out. Without arguments: the built-in pack's tests.")
    static final class Test implements Callable<Integer> {
        @Parameters(paramLabel = "DIR|FILE", arity = "0..*", description = "Folders or files holding policies and their tests.")
        List<Path> paths = new ArrayList<>();

        @Option(names = "--no-default-policies", description = "Test without the built-in pack.")
        boolean noDefaults;

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table, json or yaml (default: ${DEFAULT-VALUE})")
        OutputFormat output = OutputFormat.table;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            List<PolicyError> errors = new ArrayList<>();
            List<PolicySet.Source> sources = new ArrayList<>(noDefaults ? List.of() : PolicySet.defaultPack());
            List<PolicySet.Source> mine = paths.isEmpty() ? PolicyTests.packTests() : dev.chameleon.engine.Engine.paths(paths, errors);
            sources.addAll(mine);
            PolicySet set = dev.chameleon.engine.Engine.compile(sources, errors);
            Set<String> names = mine.stream().map(PolicySet.Source::name).collect(Collectors.toSet());
            List<PolicyTest> tests = set.tests().stream().filter(t -> names.contains(t.file())).toList();
            List<PolicyTests.Result> results = PolicyTests.run(set, tests, Test::sense);
            long failed = results.stream().filter(r -> !r.passed()).count();
            PrintWriter out = spec.commandLine().getOut();
            if (output == OutputFormat.table) {
                for (PolicyTests.Result r : results) {
                    out.printf("%s  %s (%s)%n", r.passed() ? "PASS" : "FAIL", r.test().name(), r.test().location());
                    r.failures().forEach(f -> out.println("      " + f));
                }
                out.printf("%d test(s): %d passed, %d failed%n", results.size(), results.size() - failed, failed);
            } else {
                List<Object> list = new ArrayList<>();
                for (PolicyTests.Result r : results) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("name", r.test().name());
                    m.put("source", r.test().location());
                    m.put("passed", r.passed());
                    m.put("failures", r.failures());
                    list.add(m);
                }
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("tests", list);
                m.put("passed", results.size() - failed);
                m.put("failed", failed);
                out.print(Render.as(output, m));
                if (output == OutputFormat.json) {
                    out.println();
                }
            }
            out.flush();
            if (results.isEmpty()) {
                throw new UserError(ExitCode.BAD_INPUT, "no policy tests (kind: PolicyTest) found in " + paths);
            }
            return failed == 0 ? ExitCode.OK : ExitCode.FAILED;
        }

        private static dev.chameleon.model.FactSet sense(Path root, Path commands) {
            return dev.chameleon.engine.Engine.of(dev.chameleon.engine.EngineConfig.builder().root(root).rootMayBeMissing().commands(commands).build()).sense();
        }
    }

    /** {@code policy schema}: the JSON Schema of Policy, Profile and PolicyTest documents; {@code --facts}: the fact schema. */
    @Command(name = "schema", mixinStandardHelpOptions = true,
            description = "Print the JSON Schema of policy documents (for editors), or with --facts the typed fact paths conditions may use.")
    static final class Schema implements Callable<Integer> {
        @Option(names = "--facts", description = "Print the fact schema (path: type) instead.")
        boolean facts;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            if (facts) {
                FactSchema.standard().describe().forEach(out::println);
                out.println("elements: " + FactSchema.standard().elements().entrySet().stream()
                        .map(e -> e.getKey() + " (each of " + e.getValue() + ")").collect(Collectors.joining(", ")));
            } else {
                try (InputStream in = PolicyCommand.class.getResourceAsStream(JSON_SCHEMA)) {
                    if (in == null) {
                        throw new IOException("JSON Schema " + JSON_SCHEMA + " missing from the classpath");
                    }
                    out.print(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
            out.flush();
            return ExitCode.OK;
        }
    }
}
