package dev.chameleon.cli;

import java.util.Set;

/** Entry point of the {@code chameleon} command. */
public final class Main {
    private static final Set<String> SENSING = Set.of("facts", "detect", "plan", "apply");

    private Main() {
    }

    public static void main(String[] args) {
        if (args.length > 0 && SENSING.contains(args[0])) {
            warmUp();
        }
        System.exit(Cli.run(args));
    }

    /**
     * One-shot commands are mostly start-up: while picocli parses the command line on the main
     * thread, load the sensors' tables (platform signatures, applications) and the JSON writer on
     * a second core.
     */
    private static void warmUp() {
        Thread t = new Thread(() -> {
            try {
                dev.chameleon.sensors.Sensors.warmUp();
                Render.json(java.util.Map.of("warm", java.util.List.of(1L, "up", true)));
            } catch (RuntimeException e) {
                // the sensor reports its own failure later, on the main path
            }
        }, "warm-up");
        t.setDaemon(true);
        t.start();
    }
}
