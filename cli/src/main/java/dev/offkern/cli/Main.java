package dev.offkern.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code offkern} command: dispatches to its subcommands. */
@Command(name = "offkern", mixinStandardHelpOptions = true, version = "offkern 0.1.0",
        description = "Windows kernel structures, byte-exact and off-heap, on Java 25.",
        subcommands = {ProbeCommand.class, PoolmonCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * The configured command line. A bad option or argument prints one line to stderr,
     * {@code offkern <command>: <what was wrong> (see --help)}, and exits with status 2.
     */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine bad = ex.getCommandLine();
            PrintWriter err = bad.getErr();
            err.println(bad.getCommandSpec().qualifiedName() + ": " + ex.getMessage() + " (see --help)");
            err.flush();
            return CommandLine.ExitCode.USAGE;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
