package dev.offkern.cli;

import dev.offkern.layout.Abi;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.Structures;
import dev.offkern.layout.render.LayoutFormat;
import dev.offkern.layout.render.LayoutRenderer;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code offkern layouts [--abi x64|x86] [--format table|json|c] [STRUCT...]}: prints the layouts
 * offkern uses (Windows 10 22H2) for one ABI, every registered structure or the named ones, in
 * registry order or the order given. Unknown ABIs, formats and structures are usage errors (exit
 * status 2, one line naming the valid choices; see {@link Main#commandLine()}).
 */
@Command(name = "layouts", sortOptions = false,
        description = {
                "Prints the byte-exact layouts offkern uses (Windows 10 22H2) for one ABI.",
                "table is for people; json is {\"abi\", \"structs\": [{\"name\", \"size\", \"align\", \"fields\": "
                        + "[{\"name\", \"offset\", \"size\", \"bitOffset\"?, \"bitWidth\"?}]}]}; c is a header of "
                        + "_Static_asserts to include after the WDK headers (usage in its leading comment)."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:layouts printed", "2:unknown ABI, format, structure or option"})
public final class LayoutsCommand implements Callable<Integer> {

    @Option(names = "--abi", paramLabel = "x64|x86", defaultValue = "x64", converter = AbiConverter.class,
            description = "Which ABI's layouts: x64 or x86 (default: ${DEFAULT-VALUE}).")
    private Abi abi;

    @Option(names = "--format", paramLabel = "table|json|c", defaultValue = "table", converter = FormatConverter.class,
            description = "Output format: table, json or c (default: ${DEFAULT-VALUE}).")
    private LayoutFormat format;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Shows this help and exits.")
    private boolean help;

    @Parameters(paramLabel = "STRUCT", arity = "0..*", completionCandidates = StructureNames.class,
            description = "Structures to print, any case (default: all). Valid: ${COMPLETION-CANDIDATES}.")
    private List<String> names = new ArrayList<>();

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        List<StructSpec> selected = new ArrayList<>();
        if (names.isEmpty()) {
            selected.addAll(Structures.all(abi));
        } else {
            for (String name : names) {
                try {
                    selected.add(Structures.get(name, abi));
                } catch (IllegalArgumentException e) {
                    throw new ParameterException(spec.commandLine(), e.getMessage());
                }
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(LayoutRenderer.render(format, abi, selected));
        out.flush();
        return 0;
    }

    /** {@code --abi}: the error names the valid choices. */
    static final class AbiConverter implements ITypeConverter<Abi> {
        @Override
        public Abi convert(String value) {
            try {
                return Abi.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@code --format}: the error names the valid choices. */
    static final class FormatConverter implements ITypeConverter<LayoutFormat> {
        @Override
        public LayoutFormat convert(String value) {
            try {
                return LayoutFormat.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** The registered structure names, for the help text. */
    static final class StructureNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Structures.names().iterator();
        }
    }
}
