package dev.offkern.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Every command's help and error output follows the same conventions (see {@link Main}): the same
 * sections in the same order, standard help and version options, examples that run offkern, exit
 * statuses including 0 and 2, a whole-sentence summary in {@code offkern --help}, and one-line usage
 * errors with exit status 2. Commands are taken from the live command tree, so a new one is checked
 * without touching this test.
 */
class HelpConventionsTest {

    static Stream<String> commands() {
        return Main.commandLine().getSubcommands().keySet().stream();
    }

    @ParameterizedTest(name = "offkern {0} --help")
    @MethodSource("commands")
    void shouldPrintEverySectionInTheSameOrder(String command) {
        CliRun r = CliRun.of(command, "--help");
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.err());
        String help = r.out();
        assertTrue(help.startsWith("Usage: offkern " + command + " "), help);
        int options = help.indexOf("\nOptions:\n");
        int exit = help.indexOf("\nExit status:\n");
        int examples = help.indexOf("\nExamples:\n");
        assertTrue(options > 0 && exit > options && examples > exit, "Options, Exit status, Examples in order:\n" + help);
        int parameters = help.indexOf("\nParameters:\n");
        assertTrue(parameters < 0 || parameters < options, help);
        assertTrue(help.contains("  -h, --help "), help);
        assertTrue(help.contains("  -V, --version "), help);
        for (String line : help.lines().toList()) {
            assertTrue(line.length() <= 80, "help lines fit 80 columns: '" + line + "'");
        }
    }

    @ParameterizedTest(name = "offkern {0} --help: exit statuses")
    @MethodSource("commands")
    void shouldListExitStatusZeroAndTwo(String command) {
        List<String> statuses = section(CliRun.of(command, "--help").out(), "Exit status:");
        assertTrue(statuses.stream().anyMatch(l -> l.startsWith("  0   ")), statuses.toString());
        assertTrue(statuses.stream().anyMatch(l -> l.startsWith("  2   ") && l.contains("usage")
                || l.startsWith("  2   ") && l.contains("unknown")), statuses.toString());
    }

    @ParameterizedTest(name = "offkern {0} --help: examples")
    @MethodSource("commands")
    void shouldShowExamplesThatRunTheCommand(String command) {
        List<String> examples = section(CliRun.of(command, "--help").out(), "Examples:");
        assertTrue(!examples.isEmpty(), "no examples for " + command);
        assertTrue(examples.stream().anyMatch(l -> l.contains("offkern " + command)), examples.toString());
        for (String line : examples) {
            assertTrue(line.startsWith("  "), "indented: '" + line + "'");
        }
    }

    @ParameterizedTest(name = "offkern --help lists {0} with a whole sentence")
    @MethodSource("commands")
    void shouldListTheCommandWithAWholeSentenceInTheTopLevelHelp(String command) {
        String summary = Main.commandLine().getSubcommands().get(command).getCommandSpec().usageMessage().description()[0];
        assertTrue(summary.endsWith("."), "the summary is a whole sentence: " + summary);
        String top = CliRun.of("--help").out().replaceAll("\\s+", " ");
        assertTrue(top.contains(" " + command + " " + summary), "offkern --help shows all of '" + summary + "':\n" + top);
    }

    @ParameterizedTest(name = "offkern {0} --version")
    @MethodSource("commands")
    void shouldPrintTheSameVersionAsTheTopLevel(String command) {
        CliRun r = CliRun.of(command, "--version");
        assertEquals(0, r.status(), r.err());
        assertEquals(CliRun.of("--version").out(), r.out());
    }

    @ParameterizedTest(name = "offkern {0} --no-such-option")
    @MethodSource("commands")
    void shouldRejectAnUnknownOptionInOneLineWithStatusTwo(String command) {
        List<String> args = new ArrayList<>(List.of(command, "--no-such-option"));
        for (PositionalParamSpec p : Main.commandLine().getSubcommands().get(command).getCommandSpec().positionalParameters()) {
            if (p.required()) {
                args.add("x"); // else picocli reports the missing parameter first
            }
        }
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertEquals(Main.USAGE_ERROR, r.status());
        assertEquals("", r.out());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("offkern " + command + ": unknown option '--no-such-option' (valid options: "), r.err());
        assertTrue(r.err().contains("--help"), r.err());
    }

    @Test
    void shouldPrintTheTopLevelHelpWithCommandsExitStatusesAndExamples() {
        CliRun r = CliRun.of("--help");
        assertEquals(0, r.status());
        String help = r.out();
        assertTrue(help.startsWith("Usage: offkern [-hV] [COMMAND]"), help);
        int commands = help.indexOf("\nCommands:\n");
        int exit = help.indexOf("\nExit status:\n");
        int examples = help.indexOf("\nExamples:\n");
        assertTrue(commands > 0 && exit > commands && examples > exit, help);
        for (String c : Main.commandLine().getSubcommands().keySet()) {
            assertTrue(help.contains("\n  " + c + " "), c + " listed:\n" + help);
        }
        CliRun none = CliRun.of();
        assertEquals(0, none.status());
        assertEquals(help, none.out(), "no command prints the help");
    }

    @Test
    void shouldPrintTheBuildVersion() {
        CliRun r = CliRun.of("--version");
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals("offkern " + BuildVersion.version(), lines.getFirst());
        assertTrue(BuildVersion.version().matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), BuildVersion.version());
        assertTrue(lines.get(1).startsWith("JVM: ") && lines.get(1).contains(Runtime.version().toString()), r.out());
        assertTrue(lines.get(2).startsWith("OS: "), r.out());
        assertEquals(r.out(), CliRun.of("-V").out());
    }

    @Test
    void shouldRejectAMissingParameterInOneLine() {
        CliRun r = CliRun.of("dump");
        assertEquals(Main.USAGE_ERROR, r.status());
        assertEquals(List.of("offkern dump: Missing required parameter: 'FILE' (see --help)"), r.errLines());
    }

    @Test
    void shouldRejectAnExtraArgumentInOneLine() {
        CliRun r = CliRun.of("probe", "now");
        assertEquals(Main.USAGE_ERROR, r.status());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("offkern probe: Unmatched argument at index 1: 'now'"), r.err());
        assertTrue(r.err().strip().endsWith("(see --help)"), r.err());
    }

    /** The lines of {@code help}'s section {@code heading}, up to the next blank line. */
    private static List<String> section(String help, String heading) {
        List<String> lines = help.lines().toList();
        int at = lines.indexOf(heading);
        assertTrue(at >= 0, heading + " missing:\n" + help);
        List<String> body = new ArrayList<>();
        for (int i = at + 1; i < lines.size() && !lines.get(i).isBlank(); i++) {
            body.add(lines.get(i));
        }
        return body;
    }
}
