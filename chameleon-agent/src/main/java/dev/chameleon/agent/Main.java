package dev.chameleon.agent;

/** Entry point of the {@code chameleon} command. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(Cli.run(args));
    }
}
