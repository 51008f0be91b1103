package dev.offkern.cli;

import dev.offkern.runtime.ke.CrashDumpFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code offkern dump FILE}: prints an offkern bug-check dump (format: docs/dump-format.md). */
@Command(name = "dump", mixinStandardHelpOptions = true,
        description = "Print an offkern bug-check dump: stop code and parameters, callbacks and their buffers, "
                + "secondary dump data, added pages, nested bug checks.")
public final class DumpCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "the dump file (offkern-*.dmp)")
    Path file;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            out.print(CrashDumpFile.read(file).toText());
            out.flush();
            return 0;
        } catch (NoSuchFileException e) {
            err.println("offkern dump: no such file: " + file);
        } catch (IOException e) {
            err.println("offkern dump: cannot read " + file + ": " + e.getMessage());
        } catch (RuntimeException e) {
            err.println("offkern dump: " + file + " is not a valid offkern dump: " + e.getMessage());
        }
        err.flush();
        return 1;
    }
}
