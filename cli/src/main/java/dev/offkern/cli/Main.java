package dev.offkern.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/** The {@code offkern} command: dispatches to its subcommands. */
@Command(name = "offkern", mixinStandardHelpOptions = true, version = "offkern 0.1.0",
        description = "Windows kernel structures, byte-exact and off-heap, on Java 25.",
        subcommands = {LayoutsCommand.class, ProbeCommand.class, PoolmonCommand.class, StatCommand.class, DumpCommand.class})
public final class Main implements Runnable {

    /** Exit status of a usage error (unknown option, command, ABI, format, structure, bad value). */
    public static final int USAGE_ERROR = CommandLine.ExitCode.USAGE;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * The configured command line. A bad option or argument prints ONE line to the error stream,
     * {@code offkern <command>: <what was wrong> (valid ...: <the choices>)} — or
     * {@code (see --help)} when the message names no choices — and the exit status is
     * {@link #USAGE_ERROR} (2).
     */
    public static CommandLine commandLine() {
        CommandLine cmd = new CommandLine(new Main());
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        cmd.setParameterExceptionHandler(Main::usageError);
        return cmd;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    private static int usageError(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        String message = ex.getMessage().replaceAll("\\s*\\R\\s*", " ").strip();
        if (ex instanceof UnmatchedArgumentException u) {
            List<String> names = new ArrayList<>();
            if (u.isUnknownOption()) {
                for (OptionSpec o : cmd.getCommandSpec().options()) {
                    names.add(o.longestName());
                }
                message += " (valid options: " + String.join(", ", names) + ")";
            } else if (!cmd.getSubcommands().isEmpty()) {
                names.addAll(cmd.getSubcommands().keySet());
                message += " (valid commands: " + String.join(", ", names) + ")";
            }
        }
        if (!message.contains("(valid")) {
            message += " (see --help)";
        }
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + message);
        err.flush();
        return USAGE_ERROR;
    }
}
