import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** picocli's cost alone: one annotated command with two options, as chameleon's commands are declared. */
@Command(name = "t", mixinStandardHelpOptions = true)
public class AnnotatedCli implements Runnable {
    @Option(names = "--output")
    String output;
    @Option(names = "--root")
    String root;

    @Override
    public void run() {
        System.out.println("ok " + output);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new AnnotatedCli()).execute(args));
    }
}
