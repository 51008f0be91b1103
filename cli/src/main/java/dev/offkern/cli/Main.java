package dev.offkern.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code offkern} command: dispatches to its subcommands. */
@Command(name = "offkern", mixinStandardHelpOptions = true, version = "offkern 0.1.0",
        subcommands = {DumpCommand.class},
        description = "Windows kernel structures, byte-exact and off-heap, on Java 25.")
public final class Main implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }
}
