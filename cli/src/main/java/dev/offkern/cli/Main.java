package dev.offkern.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code offkern} command: dispatches to its subcommands.
 *
 * <p>Conventions every subcommand follows (checked for each one by {@code HelpConventionsTest}):
 * <ul>
 *   <li>its help has the sections Usage, a description whose first line is a whole sentence (the
 *       summary {@code offkern --help} lists), Parameters and Options, Exit status and Examples, in
 *       that order, with the headings {@link HelpLayout} sets;</li>
 *   <li>{@code -h}/{@code --help} and {@code -V}/{@code --version} (picocli's standard options);</li>
 *   <li>a usage error prints ONE line on the error stream, {@code offkern <command>: <what was wrong>},
 *       with a "did you mean" for a mistyped command, option or name and then {@code (valid ...: the
 *       choices)} when there are few, or {@code (see --help)}; the exit status is {@link #USAGE_ERROR}.</li>
 * </ul>
 */
@Command(name = "offkern", mixinStandardHelpOptions = true, versionProvider = BuildVersion.class,
        description = {"Windows kernel structures, byte-exact and off-heap, on Java 25.",
                "Run 'offkern COMMAND --help' for a command's options, exit statuses and examples."},
        subcommands = {DemoCommand.class, LayoutsCommand.class, ProbeCommand.class, PoolmonCommand.class, StatCommand.class,
                DumpCommand.class, CompletionCommand.class},
        exitCodeList = {"0:the command succeeded (or help or version was printed)",
                "1:the command ran and found a problem (each command's help says which)",
                "2:usage error: unknown command or option, bad value (one line on the error stream)"},
        footer = {"  offkern demo                         # the demo driver under load: offkern's main job",
                "  offkern probe                        # can this machine run offkern?",
                "  offkern layouts KTIMER               # one structure's byte-exact layout",
                "  source <(offkern completion)         # tab completion in bash or zsh"})
public final class Main implements Runnable {

    /** Exit status of a usage error (unknown option, command, ABI, format, structure, bad value). */
    public static final int USAGE_ERROR = CommandLine.ExitCode.USAGE;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Creates the command (picocli calls this through {@link #commandLine()}). */
    public Main() {
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * The configured command line: the help layout of {@link HelpLayout} on every command, enum values
     * in any case, and one-line usage errors (see the class comment).
     *
     * @return a new command line, ready to {@code execute}
     */
    public static CommandLine commandLine() {
        CommandLine cmd = new CommandLine(new Main());
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        cmd.setParameterExceptionHandler(Main::usageError);
        HelpLayout.apply(cmd);
        return cmd;
    }

    /**
     * Runs the command line and exits with its status.
     *
     * @param args the command and its arguments
     */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    private static int usageError(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        String message = oneLine(ex.getMessage());
        if (ex instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String typed = u.getUnmatched().getFirst();
            if (u.isUnknownOption()) {
                List<String> names = new ArrayList<>();
                List<String> longNames = new ArrayList<>();
                for (OptionSpec o : cmd.getCommandSpec().options()) {
                    names.add(o.longestName());
                    for (String n : o.names()) {
                        if (n.startsWith("--")) {
                            longNames.add(n);
                        }
                    }
                }
                String near = typed.startsWith("--") ? Suggestions.didYouMean(typed.replaceFirst("=.*", ""), longNames) : "";
                message = "unknown option '" + typed + "'" + near + " (valid options: " + String.join(", ", names) + ")";
            } else if (!cmd.getSubcommands().isEmpty() && cmd.getCommandSpec().positionalParameters().isEmpty()) {
                List<String> names = new ArrayList<>(cmd.getSubcommands().keySet());
                message = "unknown command '" + typed + "'" + Suggestions.didYouMean(typed, names)
                        + " (valid commands: " + String.join(", ", names) + ")";
            }
        }
        if (!message.contains("(valid") && !message.contains("(see ")) {
            message += " (see --help)";
        }
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + message);
        err.flush();
        return USAGE_ERROR;
    }

    /** {@code text} on one line: line breaks and the blanks around them become one space. */
    static String oneLine(String text) {
        return text == null ? "" : text.replaceAll("\\s*\\R\\s*", " ").strip();
    }
}
