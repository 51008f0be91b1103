package dev.offkern.layout.mingw;

import dev.offkern.layout.Abi;
import java.util.EnumSet;
import java.util.Set;

/**
 * One named, reasoned place where offkern's layout (Windows 10 22H2, from Microsoft's symbols and
 * the current WDK) deliberately differs from mingw-w64's headers. The oracle accepts the difference
 * only while it is real: an ABSENT member must still be missing from mingw-w64, a RENAMED one must be
 * missing under offkern's name while mingw-w64's name sits at the same place, a value difference must
 * show exactly the mingw-w64 value recorded here. Anything else is reported as stale.
 *
 * @param struct     the typedef
 * @param abis       the ABIs the difference applies to
 * @param field      offkern's member path, or null for the structure itself (SIZE, ALIGN, UNDECLARED)
 * @param kind       what differs
 * @param mingwName  RENAMED: mingw-w64's member path at the same place; otherwise null
 * @param mingwValue SIZE/ALIGN/OFFSET/FIELD_SIZE: mingw-w64's value; BITS: mingw-w64's first bit
 *                   counted from the start of the structure
 * @param mingwWidth BITS: mingw-w64's width; otherwise 0
 * @param reason     why offkern does not follow mingw-w64
 */
public record KnownDifference(String struct, Set<Abi> abis, String field, Kind kind, String mingwName, long mingwValue,
                       int mingwWidth, String reason) {

    /** What differs. */
    public enum Kind {
        /** mingw-w64 does not declare the structure at all (checked against Windows' symbols instead: docs/layout-sources.md). */
        UNDECLARED,
        /** mingw-w64 has no member of that name. */
        ABSENT,
        /** mingw-w64 calls the member {@code mingwName}; offset and size (or bits) agree. */
        RENAMED,
        /** mingw-w64 declares a member (field = mingw-w64's path) that Windows 10 22H2 no longer has. */
        MINGW_ONLY,
        /** The structure's size. */
        SIZE,
        /** The structure's alignment. */
        ALIGN,
        /** A member's offset. */
        OFFSET,
        /** A member's size. */
        FIELD_SIZE,
        /** A bit field's position or width. */
        BITS
    }

    public static final Set<Abi> BOTH = EnumSet.allOf(Abi.class);
    public static final Set<Abi> X64 = EnumSet.of(Abi.X64);
    public static final Set<Abi> X86 = EnumSet.of(Abi.X86);

    public static KnownDifference undeclared(String struct, Set<Abi> abis, String reason) {
        return new KnownDifference(struct, abis, null, Kind.UNDECLARED, null, 0, 0, reason);
    }

    public static KnownDifference absent(String struct, Set<Abi> abis, String field, String reason) {
        return new KnownDifference(struct, abis, field, Kind.ABSENT, null, 0, 0, reason);
    }

    public static KnownDifference renamed(String struct, Set<Abi> abis, String field, String mingwName, String reason) {
        return new KnownDifference(struct, abis, field, Kind.RENAMED, mingwName, 0, 0, reason);
    }

    public static KnownDifference mingwOnly(String struct, Set<Abi> abis, String mingwMember, String reason) {
        return new KnownDifference(struct, abis, mingwMember, Kind.MINGW_ONLY, null, 0, 0, reason);
    }

    /** A structure-level (field null: SIZE, ALIGN) or member-level (OFFSET, FIELD_SIZE) value difference. */
    public static KnownDifference value(String struct, Set<Abi> abis, String field, Kind kind, long mingwValue, String reason) {
        return new KnownDifference(struct, abis, field, kind, null, mingwValue, 0, reason);
    }

    public static KnownDifference bits(String struct, Set<Abi> abis, String field, long mingwFirstBit, int mingwWidth,
                                String reason) {
        return new KnownDifference(struct, abis, field, Kind.BITS, null, mingwFirstBit, mingwWidth, reason);
    }

    public boolean matches(String s, Abi abi, String f, Kind k) {
        return struct.equals(s) && abis.contains(abi) && kind == k && java.util.Objects.equals(field, f);
    }

    @Override
    public String toString() {
        String what = switch (kind) {
            case UNDECLARED -> "not declared by mingw-w64";
            case ABSENT -> "member absent from mingw-w64";
            case RENAMED -> "mingw-w64 names it " + mingwName;
            case MINGW_ONLY -> "declared by mingw-w64 only";
            case BITS -> kind + " (mingw-w64: bit " + mingwValue + ", width " + mingwWidth + ")";
            default -> kind + " (mingw-w64: 0x" + Long.toHexString(mingwValue) + ")";
        };
        return struct + (field == null ? "" : "." + field) + " " + abis + ": " + what + " — " + reason;
    }
}
