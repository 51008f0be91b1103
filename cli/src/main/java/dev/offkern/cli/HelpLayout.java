package dev.offkern.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * The one help layout of every {@code offkern} command, applied to the whole command tree by
 * {@link Main#commandLine()} so that a new subcommand gets it without repeating it:
 *
 * <pre>
 * Usage: offkern COMMAND [OPTIONS] [PARAMETERS]
 *
 * Description (first line: the summary 'offkern --help' lists).
 *
 * Parameters:   (when the command has any)
 * Options:
 * Commands:     (offkern itself)
 * Exit status:  (from the command's exitCodeList)
 * Examples:     (from the command's footer, lines "  offkern ...  # what it does")
 * </pre>
 *
 * <p>Every command also gets the version provider, so {@code offkern COMMAND --version} prints the
 * same as {@code offkern --version}.
 */
final class HelpLayout {

    private HelpLayout() {
    }

    /** Applies the layout to {@code cmd} and every command below it. */
    static void apply(CommandLine cmd) {
        CommandSpec spec = cmd.getCommandSpec();
        UsageMessageSpec u = spec.usageMessage();
        u.descriptionHeading("%n")
                .parameterListHeading("%nParameters:%n")
                .optionListHeading("%nOptions:%n")
                .commandListHeading("%nCommands:%n")
                .exitCodeListHeading("%nExit status:%n")
                .footerHeading(u.footer().length == 0 ? "" : "%nExamples:%n");
        spec.versionProvider(new BuildVersion());
        for (CommandLine sub : cmd.getSubcommands().values()) {
            apply(sub);
        }
    }
}
