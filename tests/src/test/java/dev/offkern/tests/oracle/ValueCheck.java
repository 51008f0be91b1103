package dev.offkern.tests.oracle;

import dev.offkern.layout.mingw.KnownDifference;
import dev.offkern.layout.Abi;
import dev.offkern.layout.Field;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.mingw.KnownDifference.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Stage 3 of the oracle: the numbers. One initialised constant object holds a magic marker, then
 * {@code sizeof}/{@code _Alignof} of every structure and {@code offsetof}/{@code sizeof} of every
 * addressable member, then one probe per bit field ({@code union { T s; unsigned char b[sizeof(T)]; }}
 * initialised with only that bit field set to all ones). The object is compiled, its {@code .rdata}
 * extracted with objcopy and read here; a probe's set bits give the bit field's position and width as
 * the compiler laid it out. A disagreement must be a value known difference recording exactly
 * mingw-w64's value; a value known difference that no longer shows is stale.
 */
final class ValueCheck {

    private static final long MAGIC0 = 0x6f66666b65726e31L;
    private static final long MAGIC1 = 0x6f7261636c655f31L;

    /** Counts of what was compared. */
    record Counts(int structures, int members, int bitFields, int values) {
    }

    private ValueCheck() {
    }

    static Counts run(MingwToolchain toolchain, List<StructSpec> specs, ExistenceCheck.Result existence,
                      Findings findings, Path workDir) throws IOException {
        Abi abi = toolchain.abi();
        Set<String> undeclared = existence.undeclared();
        Set<String> missingMembers = existence.missingMembers();
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
                    KnownDifference renamed = findings.find(s, f.name(), Kind.RENAMED);
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
                    findings.fail(v.struct() + "." + v.member() + " (" + abi.id() + "): mingw-w64's bits are not contiguous");
                    continue;
                }
            }
            boolean agrees = actual == v.expected() && actualWidth == v.expectedWidth();
            KnownDifference d = findings.find(v.struct(), v.member(), v.kind());
            if (d != null) {
                seenValueDiffs.add(d);
            }
            if (agrees) {
                if (d != null) {
                    findings.fail(v.struct() + (v.member() == null ? "" : "." + v.member()) + " " + v.kind() + " (" + abi.id()
                            + "): stale exception, mingw-w64 now agrees with offkern (" + show(v.kind(), actual, actualWidth)
                            + "): " + d);
                }
                continue;
            }
            String where = v.struct() + (v.member() == null ? "" : "." + v.member()) + " " + v.kind() + " (" + abi.id() + ")";
            if (d == null) {
                findings.fail(where + ": offkern " + show(v.kind(), v.expected(), v.expectedWidth()) + ", mingw-w64 "
                        + show(v.kind(), actual, actualWidth));
            } else if (d.mingwValue() != actual || d.mingwWidth() != actualWidth) {
                findings.fail(where + ": the exception records mingw-w64 as " + show(v.kind(), d.mingwValue(), d.mingwWidth())
                        + " but it is " + show(v.kind(), actual, actualWidth) + " (offkern " + show(v.kind(), v.expected(),
                        v.expectedWidth()) + "): " + d);
            } else {
                findings.confirm(d);
            }
        }
        for (KnownDifference d : findings.known) {
            if (!d.abis().contains(abi) || d.kind() == Kind.UNDECLARED || d.kind() == Kind.ABSENT || d.kind() == Kind.RENAMED
                    || d.kind() == Kind.MINGW_ONLY) {
                continue;
            }
            if (!seenValueDiffs.contains(d)) {
                findings.fail(d.struct() + " (" + abi.id() + "): exception names nothing the oracle compared"
                        + " (no such structure, member or check): " + d);
            }
        }
        return new Counts(structures, members, bitFields, values.size());
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
