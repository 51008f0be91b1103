package dev.offkern.tests.oracle;

import dev.offkern.layout.Abi;
import dev.offkern.layout.Field;
import dev.offkern.layout.StructSpec;
import dev.offkern.tests.oracle.KnownDifference.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * Checks offkern's layouts of one ABI against what mingw-w64's compiler computes from its ddk headers.
 *
 * <p>Two translation units are generated from the Java layouts:
 * <ol>
 *   <li>an <em>existence</em> unit, one line per structure and per member, compiled with
 *       {@code -fsyntax-only -fmax-errors=0}: the lines that fail to compile name exactly the
 *       structures and members mingw-w64 does not declare (so one missing member hides nothing);</li>
 *   <li>a <em>values</em> unit holding one initialised constant object: a magic marker, then
 *       {@code sizeof}/{@code _Alignof} of every structure and {@code offsetof}/{@code sizeof} of every
 *       addressable member, then one probe per bit field ({@code union { T s; unsigned char b[sizeof(T)]; }}
 *       initialised with only that bit field set to all ones). The object is compiled, its
 *       {@code .rdata} section extracted with objcopy and read here; a probe's set bits give the
 *       bit field's position and width as the compiler laid it out.</li>
 * </ol>
 * Every disagreement is a failure naming structure, member, ABI, offkern's value and mingw-w64's,
 * unless a {@link KnownDifference} names it, and a known difference that no longer shows is a
 * failure too (stale).
 */
final class WdkOracle {

    private static final long MAGIC0 = 0x6f66666b65726e31L;
    private static final long MAGIC1 = 0x6f7261636c655f31L;
    private static final Pattern ERROR_LINE = Pattern.compile("^[^:\\n]*\\.c:(\\d+):\\d+: error:", Pattern.MULTILINE);

    /** The outcome for one ABI. */
    record Report(Abi abi, int structures, int members, int bitFields, int values, int mingwMembers, List<String> failures,
                  List<KnownDifference> confirmed, Set<String> undeclared) {
    }

    private final MingwToolchain toolchain;
    private final List<KnownDifference> known;
    private final Path workDir;

    WdkOracle(MingwToolchain toolchain, List<KnownDifference> known, Path workDir) {
        this.toolchain = toolchain;
        this.known = known;
        this.workDir = workDir;
    }

    Report check(List<StructSpec> specs) throws IOException {
        Abi abi = toolchain.abi();
        Files.createDirectories(workDir);
        List<String> failures = new ArrayList<>();
        Set<KnownDifference> confirmed = new LinkedHashSet<>();

        // ---- 1. existence -------------------------------------------------------------------
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
                boolean bit = spec.hasField(m) ? spec.field(m).isBitField() : isMingwBitField(spec, m);
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
                KnownDifference d = find(s, abi, null, Kind.UNDECLARED);
                if (missing) {
                    undeclared.add(s);
                    if (d == null) {
                        failures.add(s + " (" + abi.id() + "): mingw-w64's headers do not declare it; fix the name, or add a"
                                + " reasoned KnownDifference.undeclared and check it against windows-layouts.md");
                    } else {
                        confirmed.add(d);
                    }
                } else if (d != null) {
                    failures.add(s + " (" + abi.id() + "): stale exception, mingw-w64 now declares it: " + d);
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
                KnownDifference absent = find(s, abi, f.name(), Kind.ABSENT);
                KnownDifference renamed = find(s, abi, f.name(), Kind.RENAMED);
                KnownDifference excuse = absent != null ? absent : renamed;
                if (missing && excuse == null) {
                    failures.add(s + "." + f.name() + " (" + abi.id() + "): mingw-w64 has no such "
                            + (f.isBitField() ? "member" : "addressable member") + "; fix the name, or add a reasoned KnownDifference");
                } else if (!missing && excuse != null) {
                    failures.add(s + "." + f.name() + " (" + abi.id() + "): stale exception, mingw-w64 now has the member: " + excuse);
                } else if (missing) {
                    confirmed.add(excuse);
                }
                if (renamed != null && missingMembers.contains(s + "." + renamed.mingwName())) {
                    failures.add(s + "." + renamed.mingwName() + " (" + abi.id() + "): the mingw-w64 name given by the"
                            + " exception does not exist either: " + renamed);
                }
            }
        }

        // ---- 2. the other direction: every member mingw-w64 declares is modelled ----------------
        StringBuilder dwarfSource = new StringBuilder(MingwToolchain.PRELUDE);
        int t = 0;
        for (StructSpec spec : specs) {
            if (!undeclared.contains(spec.name())) {
                // Through a typedef of our own, so that macro spellings (x86 SLIST_ENTRY) resolve too.
                dwarfSource.append("typedef ").append(spec.name()).append(" offkern_ty").append(t).append("; offkern_ty")
                        .append(t).append(" *offkern_t").append(t).append(";\n");
                t++;
            }
        }
        Path dwarfFile = workDir.resolve("members.c");
        Files.writeString(dwarfFile, dwarfSource);
        MingwDwarf dwarf = new MingwDwarf(toolchain.dwarfInfo(dwarfFile));
        int mingwMembers = 0;
        t = 0;
        for (StructSpec spec : specs) {
            String s = spec.name();
            if (undeclared.contains(s)) {
                continue;
            }
            java.util.Map<String, Long> declared = dwarf.members("offkern_ty" + (t++));
            if (declared.isEmpty() && !spec.fields().isEmpty()) {
                failures.add(s + " (" + abi.id() + "): no members found in mingw-w64's debug information");
            }
            for (String member : declared.keySet()) {
                mingwMembers++;
                KnownDifference only = find(s, abi, member, Kind.MINGW_ONLY);
                boolean renamedTarget = known.stream().anyMatch(d -> d.kind() == Kind.RENAMED && d.struct().equals(s)
                        && d.abis().contains(abi) && member.equals(d.mingwName()));
                if (spec.hasField(member) || renamedTarget) {
                    if (only != null) {
                        failures.add(s + "." + member + " (" + abi.id() + "): stale exception, offkern models the member: " + only);
                    }
                } else if (only == null) {
                    failures.add(s + "." + member + " (" + abi.id() + "): mingw-w64 declares it (at 0x"
                            + Long.toHexString(declared.get(member)) + "), offkern does not model it; add it, or a reasoned"
                            + " KnownDifference.mingwOnly");
                } else {
                    confirmed.add(only);
                }
            }
            for (KnownDifference d : known) {
                if (d.kind() == Kind.MINGW_ONLY && d.struct().equals(s) && d.abis().contains(abi)
                        && !declared.containsKey(d.field())) {
                    failures.add(s + "." + d.field() + " (" + abi.id() + "): stale exception, mingw-w64 no longer declares"
                            + " the member: " + d);
                }
            }
        }

        // ---- 3. values -----------------------------------------------------------------------
        record Value(String struct, String member, Kind kind, long expected, int expectedWidth) {
        }
        List<Value> values = new ArrayList<>();
        List<String> exprs = new ArrayList<>();
        List<String> probeMembers = new ArrayList<>();
        List<String> probeInits = new ArrayList<>();
        int structures = 0;
        int members = 0;
        int bitFields = 0;
        for (StructSpec spec : specs) {
            String s = spec.name();
            if (undeclared.contains(s)) {
                continue;
            }
            structures++;
            values.add(new Value(s, null, Kind.SIZE, spec.size(), 0));
            exprs.add("sizeof(" + s + ")");
            values.add(new Value(s, null, Kind.ALIGN, spec.align(), 0));
            exprs.add("_Alignof(" + s + ")");
            for (Field f : spec.fields()) {
                String cName = f.name();
                if (missingMembers.contains(s + "." + f.name())) {
                    KnownDifference renamed = find(s, abi, f.name(), Kind.RENAMED);
                    if (renamed == null || missingMembers.contains(s + "." + renamed.mingwName())) {
                        continue;
                    }
                    cName = renamed.mingwName();
                }
                members++;
                if (f.isBitField()) {
                    bitFields++;
                    int index = probeMembers.size();
                    probeMembers.add("  union { " + s + " s; unsigned char b[sizeof(" + s + ")]; } p" + index + ";");
                    probeInits.add("  .p" + index + " = { .s." + cName + " = -1 },");
                    values.add(new Value(s, f.name(), Kind.BITS, f.offset() * 8 + f.bitOffset(), f.bitWidth()));
                    exprs.add("offsetof(struct offkern_oracle_t, p" + index + ")");
                } else {
                    values.add(new Value(s, f.name(), Kind.OFFSET, f.offset(), 0));
                    exprs.add("offsetof(" + s + ", " + cName + ")");
                    values.add(new Value(s, f.name(), Kind.FIELD_SIZE, f.size(), 0));
                    exprs.add("sizeof(((" + s + " *)0)->" + cName + ")");
                }
            }
        }
        StringBuilder c = new StringBuilder(MingwToolchain.PRELUDE);
        c.append("struct offkern_oracle_t {\n  unsigned long long magic[2];\n  unsigned long long values[")
                .append(exprs.size()).append("];\n");
        probeMembers.forEach(l -> c.append(l).append('\n'));
        c.append("};\nconst struct offkern_oracle_t offkern_oracle = {\n  { 0x").append(Long.toHexString(MAGIC0))
                .append("ULL, 0x").append(Long.toHexString(MAGIC1)).append("ULL },\n  {\n");
        for (int i = 0; i < exprs.size(); i++) {
            Value v = values.get(i);
            c.append("    ").append(exprs.get(i)).append(", /* ").append(v.struct())
                    .append(v.member() == null ? "" : "." + v.member()).append(' ').append(v.kind()).append(" */\n");
        }
        c.append("  },\n");
        probeInits.forEach(l -> c.append(l).append('\n'));
        c.append("};\n");
        Path valuesSource = workDir.resolve("values.c");
        Files.writeString(valuesSource, c);
        ByteBuffer data = ByteBuffer.wrap(toolchain.compileReadOnlyData(valuesSource)).order(ByteOrder.LITTLE_ENDIAN);
        int base = findMagic(data);
        Set<KnownDifference> seenValueDiffs = new HashSet<>();
        for (int i = 0; i < values.size(); i++) {
            Value v = values.get(i);
            long raw = data.getLong(base + 16 + 8 * i);
            long actual = raw;
            int actualWidth = 0;
            if (v.kind() == Kind.BITS) {
                int probeSize = (int) specSize(specs, v.struct());
                long[] bits = setBits(data, base + (int) raw, probeSize);
                actual = bits[0];
                actualWidth = (int) bits[1];
                if (bits[2] != 0) {
                    failures.add(v.struct() + "." + v.member() + " (" + abi.id() + "): mingw-w64's bits are not contiguous");
                    continue;
                }
            }
            boolean agrees = actual == v.expected() && actualWidth == v.expectedWidth();
            KnownDifference d = find(v.struct(), abi, v.member(), v.kind());
            if (d != null) {
                seenValueDiffs.add(d);
            }
            if (agrees) {
                if (d != null) {
                    failures.add(v.struct() + (v.member() == null ? "" : "." + v.member()) + " " + v.kind() + " (" + abi.id()
                            + "): stale exception, mingw-w64 now agrees with offkern (" + show(v.kind(), actual, actualWidth)
                            + "): " + d);
                }
                continue;
            }
            String where = v.struct() + (v.member() == null ? "" : "." + v.member()) + " " + v.kind() + " (" + abi.id() + ")";
            if (d == null) {
                failures.add(where + ": offkern " + show(v.kind(), v.expected(), v.expectedWidth()) + ", mingw-w64 "
                        + show(v.kind(), actual, actualWidth));
            } else if (d.mingwValue() != actual || d.mingwWidth() != actualWidth) {
                failures.add(where + ": the exception records mingw-w64 as " + show(v.kind(), d.mingwValue(), d.mingwWidth())
                        + " but it is " + show(v.kind(), actual, actualWidth) + " (offkern " + show(v.kind(), v.expected(),
                        v.expectedWidth()) + "): " + d);
            } else {
                confirmed.add(d);
            }
        }
        for (KnownDifference d : known) {
            if (!d.abis().contains(abi) || d.kind() == Kind.UNDECLARED || d.kind() == Kind.ABSENT || d.kind() == Kind.RENAMED
                    || d.kind() == Kind.MINGW_ONLY) {
                continue;
            }
            if (!seenValueDiffs.contains(d)) {
                failures.add(d.struct() + " (" + abi.id() + "): exception names nothing the oracle compared"
                        + " (no such structure, member or check): " + d);
            }
        }
        for (KnownDifference d : known) {
            if (d.abis().contains(abi) && (d.kind() == Kind.ABSENT || d.kind() == Kind.RENAMED)
                    && specs.stream().noneMatch(s -> s.name().equals(d.struct()) && s.hasField(d.field()))) {
                failures.add(d.struct() + " (" + abi.id() + "): exception names a member offkern does not have: " + d);
            }
        }
        return new Report(abi, structures, members, bitFields, values.size(), mingwMembers, failures, List.copyOf(confirmed),
                undeclared);
    }

    private KnownDifference find(String struct, Abi abi, String field, Kind kind) {
        for (KnownDifference d : known) {
            if (d.matches(struct, abi, field, kind)) {
                return d;
            }
        }
        return null;
    }

    private boolean isMingwBitField(StructSpec spec, String mingwName) {
        for (KnownDifference d : known) {
            if (d.kind() == Kind.RENAMED && d.struct().equals(spec.name()) && mingwName.equals(d.mingwName())) {
                return spec.field(d.field()).isBitField();
            }
        }
        return false;
    }

    private static long specSize(List<StructSpec> specs, String name) {
        return specs.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow().size();
    }

    /** {first set bit, number of set bits, 1 if they are not contiguous} over {@code size} bytes. */
    private static long[] setBits(ByteBuffer data, int at, int size) {
        long first = -1;
        long count = 0;
        long last = -1;
        boolean gap = false;
        for (int i = 0; i < size * 8; i++) {
            if ((data.get(at + i / 8) >> (i % 8) & 1) != 0) {
                if (first < 0) {
                    first = i;
                } else if (last != i - 1) {
                    gap = true;
                }
                last = i;
                count++;
            }
        }
        return new long[] {first, count, gap ? 1 : 0};
    }

    private static int findMagic(ByteBuffer data) {
        for (int i = 0; i + 16 <= data.limit(); i += 8) {
            if (data.getLong(i) == MAGIC0 && data.getLong(i + 8) == MAGIC1) {
                return i;
            }
        }
        throw new IllegalStateException("the oracle object's marker is not in .rdata");
    }

    static String show(Kind kind, long value, int width) {
        if (kind == Kind.BITS) {
            return "byte 0x" + Long.toHexString(value / 8) + " bit " + (value % 8) + " width " + width
                    + " (bits " + value + ".." + (value + width - 1) + ")";
        }
        return "0x" + Long.toHexString(value);
    }
}
