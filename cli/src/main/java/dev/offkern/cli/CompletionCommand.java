package dev.offkern.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code offkern completion}: prints the bash/zsh completion script picocli generates from the live
 * command tree ({@link AutoComplete#bash}), so it always knows every command, option and structure
 * name of this build.
 */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = {"Prints a bash and zsh completion script for offkern (commands, options, structure names).",
                "Load it into the current shell with 'source <(offkern completion)', or save it once: "
                        + "'offkern completion > ~/.local/share/bash-completion/completions/offkern'. "
                        + "zsh needs 'autoload -U +X compinit && compinit && autoload -U +X bashcompinit && "
                        + "bashcompinit' first."},
        exitCodeList = {"0:the script was printed", "2:usage error (unknown option or argument)"},
        footer = {"  source <(offkern completion)         # completion in this shell",
                "  offkern completion > ~/.local/share/bash-completion/completions/offkern"})
public final class CompletionCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    /** Creates the command (picocli instantiates it). */
    public CompletionCommand() {
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.print(AutoComplete.bash(spec.root().name(), spec.root().commandLine()));
        out.flush();
        return 0;
    }
}
