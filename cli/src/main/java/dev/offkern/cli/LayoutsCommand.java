package dev.offkern.cli;

import dev.offkern.layout.Abi;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.Structures;
import dev.offkern.layout.render.LayoutFormat;
import dev.offkern.layout.render.LayoutRenderer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code offkern layouts [--abi x64|x86] [--format table|json|isf|c] [--diff FILE] [STRUCT...]}: prints
 * the layouts offkern uses (Windows 10 22H2) for one ABI, every registered structure or the named
 * ones, in registry order or the order given; or, with {@code --diff}, what moved between them and
 * another layouts file (offkern's JSON, or a Volatility ISF such as a symbol pack of another Windows
 * build). Unknown ABIs, formats and structures, and unreadable files, are usage errors (exit status 2,
 * one line naming what was wrong; see {@link Main#commandLine()}).
 */
@Command(name = "layouts", sortOptions = false, mixinStandardHelpOptions = true,
        description = {
                "Prints the byte-exact layouts offkern uses (Windows 10 22H2) for one ABI, or compares them with "
                        + "another layouts file.",
                "table is for people; json is offkern's JSON with types, nesting, reserved ranges, variants and "
                        + "metadata (docs/layouts-json.md); isf is Volatility 3's Intermediate Symbol Format 6.2.0 "
                        + "(docs/layouts-isf.md); c is a header of C_ASSERTs to include after the WDK headers in C "
                        + "or C++ (usage in its leading comment)."},
        exitCodeList = {"0:layouts printed; with --diff: no differences",
                "1:with --diff: differences found (one line each)",
                "2:unknown ABI, format, structure or option; --diff FILE unreadable or not a layouts file"},
        footer = {"  offkern layouts KTIMER SLIST_HEADER   # two structures as tables",
                "  offkern layouts --abi x86 --format json > x86.json",
                "  offkern layouts --format isf > offkern-x64.isf.json   # for Volatility 3",
                "  offkern layouts --format c > offkern_layouts.h   # C_ASSERTs for C and C++",
                "  offkern layouts --diff other-build.isf.json.gz   # what moved (exit status 1)"})
public final class LayoutsCommand implements Callable<Integer> {

    @Option(names = "--abi", paramLabel = "x64|x86", defaultValue = "x64", converter = AbiConverter.class,
            description = "Which ABI's layouts: x64 or x86 (default: ${DEFAULT-VALUE}; with --diff, the file's).")
    private Abi abi;

    @Option(names = "--format", paramLabel = "table|json|isf|c", defaultValue = "table", converter = FormatConverter.class,
            description = "Output format: table, json, isf or c (default: ${DEFAULT-VALUE}).")
    private LayoutFormat format;

    @Option(names = "--diff", paramLabel = "FILE",
            description = "Compare offkern's layouts with FILE (offkern's JSON or a Volatility ISF, optionally .gz) "
                    + "and print what moved: sizes, member offsets, sizes and bits, missing members.")
    private Path diff;

    @Parameters(paramLabel = "STRUCT", arity = "0..*", completionCandidates = StructureNames.class,
            description = "Structures to print, any case (default: all). Valid: ${COMPLETION-CANDIDATES}.")
    private List<String> names = new ArrayList<>();

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        if (diff != null) {
            return diff();
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(LayoutRenderer.render(format, abi, selected(abi)));
        out.flush();
        return 0;
    }

    private int diff() {
        if (spec.commandLine().getParseResult().hasMatchedOption("--format")) {
            throw new ParameterException(spec.commandLine(), "--diff prints differences; --format does not apply to it");
        }
        LayoutFile file;
        try {
            file = LayoutFile.read(diff);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--diff: " + e.getMessage());
        }
        if (spec.commandLine().getParseResult().hasMatchedOption("--abi") && abi != file.abi()) {
            throw new ParameterException(spec.commandLine(), "--abi " + abi.id() + " but " + diff + " describes "
                    + file.abi().id());
        }
        LayoutDiff.Result result = LayoutDiff.compare(selected(file.abi()), file);
        PrintWriter out = spec.commandLine().getOut();
        out.println("offkern (Windows 10 22H2, " + file.abi().id() + ") vs " + diff + " (" + file.kind() + ", "
                + file.size() + " structures): " + result.compared() + " compared, " + result.identical() + " identical");
        result.lines().forEach(out::println);
        if (!result.missing().isEmpty()) {
            out.println("not in " + diff + ": " + String.join(", ", result.missing()));
        }
        boolean differs = !result.lines().isEmpty() || !names.isEmpty() && !result.missing().isEmpty();
        if (!differs) {
            out.println("no differences");
        }
        out.flush();
        return differs ? 1 : 0;
    }

    /** The structures asked for (all when none are named), laid out for {@code abi}. */
    private List<StructSpec> selected(Abi abi) {
        List<StructSpec> selected = new ArrayList<>();
        if (names.isEmpty()) {
            selected.addAll(Structures.all(abi));
        } else {
            for (String name : names) {
                selected.add(Structures.get(known(name), abi));
            }
        }
        return selected;
    }

    /**
     * {@code name} as the registry spells it (names match in any case); for an unknown name, a usage
     * error with the nearest names (never the whole list: {@code --help} has it).
     */
    private String known(String name) {
        List<String> all = Structures.names();
        for (String n : all) {
            if (n.equalsIgnoreCase(name)) {
                return n;
            }
        }
        throw new ParameterException(spec.commandLine(), "unknown structure '" + name + "'"
                + Suggestions.didYouMean(name, all) + " (see --help for all " + all.size() + ")");
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
                List<String> formats = new ArrayList<>();
                for (LayoutFormat f : LayoutFormat.values()) {
                    formats.add(f.id());
                }
                throw new TypeConversionException(e.getMessage().replaceFirst(" \\(valid",
                        Matcher.quoteReplacement(Suggestions.didYouMean(value, formats)) + " (valid"));
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
