import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** picocli's cheapest form: the model built by hand (no annotations, no reflection), --help added by hand. */
public class ProgrammaticCli {
    public static void main(String[] args) {
        CommandSpec spec = CommandSpec.create().name("t");
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).build());
        spec.addOption(OptionSpec.builder("--output").paramLabel("FMT").type(String.class).build());
        spec.addOption(OptionSpec.builder("--root").paramLabel("DIR").type(String.class).build());
        CommandLine cl = new CommandLine(spec);
        cl.setExecutionStrategy(pr -> {
            System.out.println("ok " + pr.matchedOptionValue("--output", ""));
            return 0;
        });
        System.exit(cl.execute(args));
    }
}
