package dev.offkern.tests.oracle;

import dev.offkern.layout.mingw.KnownDifference;
import dev.offkern.layout.Abi;
import dev.offkern.layout.Field;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.mingw.KnownDifference.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Stage 1 of the oracle: which structures and members mingw-w64 declares. One line per structure
 * ({@code void f(T *p)}) and per member ({@code offsetof(T, m)}, or {@code p->m} for a bit field) in a
 * unit compiled with {@code -fsyntax-only -fmax-errors=0}; the lines that fail name exactly what the
 * headers lack, so one missing member hides nothing. Absent members must be ABSENT or RENAMED known
 * differences, undeclared structures UNDECLARED ones, and those must still be absent.
 */
final class ExistenceCheck {

    private static final Pattern ERROR_LINE = Pattern.compile("^[^:\\n]*\\.c:(\\d+):\\d+: error:", Pattern.MULTILINE);

    /** Structures mingw-w64 does not declare, and "STRUCT.member" paths it does not have. */
    record Result(Set<String> undeclared, Set<String> missingMembers) {
    }

    private ExistenceCheck() {
    }

    static Result run(MingwToolchain toolchain, List<StructSpec> specs, Findings findings, Path workDir) throws IOException {
        Abi abi = toolchain.abi();
        List<KnownDifference> known = findings.known;
        List<String> lines = new ArrayList<>(List.of(MingwToolchain.PRELUDE.split("\n")));
        record Probe(StructSpec spec, String member, boolean bit) {
        }
        List<Probe> byLine = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            byLine.add(null);
        }
        int n = 0;
        for (StructSpec spec : specs) {
            lines.add("void offkern_s" + (n++) + "(" + spec.name() + " *p) { (void)p; }");
            byLine.add(new Probe(spec, null, false));
            List<String> members = new ArrayList<>();
            for (Field f : spec.fields()) {
                members.add(f.name());
            }
            for (KnownDifference d : known) {
                if (d.kind() == Kind.RENAMED && d.struct().equals(spec.name()) && d.abis().contains(abi)) {
                    members.add(d.mingwName());
                }
            }
            for (String m : members) {
                boolean bit = spec.hasField(m) ? spec.field(m).isBitField() : isMingwBitField(known, spec, m);
                lines.add(bit
                        ? "void offkern_m" + (n++) + "(" + spec.name() + " *p) { (void)p->" + m + "; }"
                        : "void offkern_m" + (n++) + "(void) { (void)offsetof(" + spec.name() + ", " + m + "); }");
                byLine.add(new Probe(spec, m, bit));
            }
        }
        Path existence = workDir.resolve("existence.c");
        Files.write(existence, lines);
        String diagnostics = toolchain.syntaxErrors(existence);
        Set<Integer> errorLines = new HashSet<>();
        Matcher m = ERROR_LINE.matcher(diagnostics);
        while (m.find()) {
            errorLines.add(Integer.parseInt(m.group(1)));
        }
        for (int line : errorLines) {
            if (line > byLine.size() || byLine.get(line - 1) == null) {
                throw new IllegalStateException("the ddk headers themselves fail to compile for " + abi.id()
                        + " (line " + line + " of " + existence + "):\n" + diagnostics);
            }
        }
        Set<String> undeclared = new LinkedHashSet<>();
        Set<String> missingMembers = new HashSet<>();
        for (int i = 0; i < byLine.size(); i++) {
            Probe p = byLine.get(i);
            if (p == null) {
                continue;
            }
            boolean missing = errorLines.contains(i + 1);
            String s = p.spec().name();
            if (p.member() == null) {
                KnownDifference d = findings.find(s, null, Kind.UNDECLARED);
                if (missing) {
                    undeclared.add(s);
                    if (d == null) {
                        findings.fail(s + " (" + abi.id() + "): mingw-w64's headers do not declare it; fix the name, or add a"
                                + " reasoned KnownDifference.undeclared and check it against Windows' symbols (docs/layout-sources.md)");
                    } else {
                        findings.confirm(d);
                    }
                } else if (d != null) {
                    findings.fail(s + " (" + abi.id() + "): stale exception, mingw-w64 now declares it: " + d);
                }
                continue;
            }
            if (undeclared.contains(s)) {
                continue;
            }
            if (missing) {
                missingMembers.add(s + "." + p.member());
            }
        }
        for (StructSpec spec : specs) {
            if (undeclared.contains(spec.name())) {
                continue;
            }
            String s = spec.name();
            for (Field f : spec.fields()) {
                boolean missing = missingMembers.contains(s + "." + f.name());
                KnownDifference absent = findings.find(s, f.name(), Kind.ABSENT);
                KnownDifference renamed = findings.find(s, f.name(), Kind.RENAMED);
                KnownDifference excuse = absent != null ? absent : renamed;
                if (missing && excuse == null) {
                    findings.fail(s + "." + f.name() + " (" + abi.id() + "): mingw-w64 has no such "
                            + (f.isBitField() ? "member" : "addressable member") + "; fix the name, or add a reasoned KnownDifference");
                } else if (!missing && excuse != null) {
                    findings.fail(s + "." + f.name() + " (" + abi.id() + "): stale exception, mingw-w64 now has the member: " + excuse);
                } else if (missing) {
                    findings.confirm(excuse);
                }
                if (renamed != null && missingMembers.contains(s + "." + renamed.mingwName())) {
                    findings.fail(s + "." + renamed.mingwName() + " (" + abi.id() + "): the mingw-w64 name given by the"
                            + " exception does not exist either: " + renamed);
                }
            }
        }

        return new Result(undeclared, missingMembers);
    }

    private static boolean isMingwBitField(List<KnownDifference> known, StructSpec spec, String mingwName) {
        for (KnownDifference d : known) {
            if (d.kind() == Kind.RENAMED && d.struct().equals(spec.name()) && mingwName.equals(d.mingwName())) {
                return spec.field(d.field()).isBitField();
            }
        }
        return false;
    }
}
