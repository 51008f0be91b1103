package dev.offkern.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code offkern} command: dispatches to its subcommands. */
@Command(name = "offkern", mixinStandardHelpOptions = true, version = "offkern 0.1.0",
        description = "Windows kernel structures, byte-exact and off-heap, on Java 25.",
        subcommands = {PoolmonCommand.class})
public final class Main implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * The configured command line: a bad option or argument prints one line naming the problem (and
     * where to find help) to stderr and exits with 2.
     */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine bad = ex.getCommandLine();
            bad.getErr().println("offkern: " + ex.getMessage() + " (see '" + bad.getCommandSpec().qualifiedName() + " --help')");
            bad.getErr().flush();
            return 2;
        });
        return cl;
    }
}
