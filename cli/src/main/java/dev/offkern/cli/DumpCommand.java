package dev.offkern.cli;

import dev.offkern.runtime.ke.CrashDumpFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code offkern dump FILE}: prints an offkern bug-check dump (format: docs/dump-format.md).
 *
 * <p>Whatever FILE is, the command ends with the dump printed or with ONE line on the error stream
 * and one of the exit statuses its help lists (0, 1, 2, 3): a file over the size cap is refused before it is read
 * (a device or pipe after at most cap + 1 bytes), and a damaged dump is named by what was wrong and
 * where. No stack trace reaches the user.
 */
@Command(name = "dump", mixinStandardHelpOptions = true,
        description = {"Prints an offkern bug-check dump as text or JSON.",
                "What it shows: the stop code and its parameters, callbacks and their buffers, secondary dump "
                        + "data, added and removed pages, nested bug checks (format: docs/dump-format.md; "
                        + "the JSON: docs/cli.md)."},
        footer = {"  offkern dump offkern-000000D1-*.dmp",
                "  offkern dump --format json crash.dmp | jq .bugCheck.name",
                "  offkern dump --max-size 1G big.dmp   # raise the size cap"},
        exitCodeList = {
            "0:the dump was printed",
            "1:FILE cannot be read (missing, a directory, no permission, an I/O error, not enough memory)",
            "2:usage error (unknown option, bad --max-size or --format)",
            "3:FILE is not a valid offkern dump (wrong magic, unsupported version, truncated or damaged) or is larger than --max-size"})
public final class DumpCommand implements Callable<Integer> {

    /** Exit status: FILE cannot be read. */
    public static final int CANNOT_READ = 1;
    /** Exit status: FILE is not a valid offkern dump, or is larger than the cap. */
    public static final int NOT_A_DUMP = 3;

    @Parameters(index = "0", paramLabel = "FILE", description = "the dump file (offkern-*.dmp)")
    Path file;

    @Option(names = "--max-size", paramLabel = "SIZE", defaultValue = "256M",
            description = "Refuse files larger than SIZE bytes (suffix K, M or G; default: ${DEFAULT-VALUE}, at most 2047M).")
    String maxSize;

    @Option(names = "--format", paramLabel = "text|json", defaultValue = "text", converter = OutputFormat.Converter.class,
            description = "Output: text for people, json for programs (default: ${DEFAULT-VALUE}; docs/cli.md).")
    OutputFormat format;

    @Spec
    CommandSpec spec;

    /** Creates the command (picocli instantiates it). */
    public DumpCommand() {
    }

    @Override
    public Integer call() {
        long cap = parseSize(maxSize);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int status;
        try {
            CrashDumpFile dump = CrashDumpFile.read(file, cap);
            out.print(format == OutputFormat.JSON ? DumpJson.render(dump) : dump.toText());
            out.flush();
            return 0;
        } catch (NoSuchFileException e) {
            err.println("offkern dump: no such file: " + file);
            status = CANNOT_READ;
        } catch (AccessDeniedException e) {
            err.println("offkern dump: cannot read " + file + ": permission denied");
            status = CANNOT_READ;
        } catch (IOException e) {
            err.println("offkern dump: cannot read " + file + ": " + oneLine(e));
            status = CANNOT_READ;
        } catch (CrashDumpFile.TooLargeException e) {
            err.println("offkern dump: " + file + " is too large (--max-size): " + oneLine(e));
            status = NOT_A_DUMP;
        } catch (IllegalArgumentException e) {
            err.println("offkern dump: " + file + " is not a valid offkern dump: " + oneLine(e));
            status = NOT_A_DUMP;
        } catch (OutOfMemoryError e) {
            err.println("offkern dump: not enough memory to read " + file + " (lower --max-size or raise the JVM's -Xmx)");
            status = CANNOT_READ;
        }
        err.flush();
        return status;
    }

    private long parseSize(String text) {
        String t = text.strip().toUpperCase(Locale.ROOT);
        int shift = 0;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'K' -> shift = 10;
                case 'M' -> shift = 20;
                case 'G' -> shift = 30;
                default -> shift = 0;
            }
        }
        String digits = shift == 0 ? t : t.substring(0, t.length() - 1);
        long limit = Integer.MAX_VALUE - 16;
        try {
            long n = Long.parseLong(digits);
            if (n > 0 && n <= (limit >> shift) && (n << shift) >= 64) {
                return n << shift;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ParameterException(spec.commandLine(), "--max-size must be a size between 64 and "
                + limit + " bytes (suffix K, M or G allowed), not '" + text + "'");
    }

    private static String oneLine(Exception e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            m = e.getClass().getSimpleName();
        }
        return m.replaceAll("\\s*\\R\\s*", " ").strip();
    }
}
