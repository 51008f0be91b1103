package dev.offkern.layout.ex;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.SINGLE_LIST_ENTRY;

import java.lang.foreign.StructLayout;

/**
 * The head of an interlocked singly linked list (SLIST), Windows 10 22H2's declaration.
 *
 * <p>x64 (16 bytes, 16-aligned, changed as one unit by {@code lock cmpxchg16b}):
 * <pre>
 *   0                   16                                              64
 *  +-------------------+------------------------------------------------+
 *  | Depth (16)        | Sequence (48)                                  |  Alignment (0x0)
 *  +----------+--------+------------------------------------------------+
 *  | Rsvd (4) | NextEntry (60): bits 4..63 of the first entry's address |  Region (0x8)
 *  +----------+---------------------------------------------------------+
 * </pre>
 * x86 (8 bytes, changed by {@code lock cmpxchg8b}): {@code Next} (0x0), {@code Depth} (0x4) and
 * {@code CpuId} (0x6), which Windows 8+ names where Windows 7 and mingw-w64 say {@code Sequence}.
 *
 * <pre>{@code
 * #if defined(_WIN64)
 * typedef union DECLSPEC_ALIGN(16) _SLIST_HEADER {
 *   struct { ULONGLONG Alignment; ULONGLONG Region; } DUMMYSTRUCTNAME;
 *   struct {
 *     ULONGLONG Depth:16;
 *     ULONGLONG Sequence:48;
 *     ULONGLONG Reserved:4;
 *     ULONGLONG NextEntry:60;
 *   } HeaderX64;
 * } SLIST_HEADER, *PSLIST_HEADER;
 * #else
 * typedef union _SLIST_HEADER {
 *   ULONGLONG Alignment;
 *   struct { SLIST_ENTRY Next; USHORT Depth; USHORT CpuId; } DUMMYSTRUCTNAME;
 * } SLIST_HEADER, *PSLIST_HEADER;
 * #endif
 * }</pre>
 */
public final class SLIST_HEADER {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONGLONG: the first quadword (Depth and Sequence on x64; the whole header on x86). */
    public static final long ALIGNMENT_OFFSET = X64.offset("Alignment");
    /** ULONGLONG: the second quadword on x64 (Reserved and NextEntry). */
    public static final long REGION_OFFSET = X64.offset("Region");
    /** ULONGLONG:16, entries: the number of entries on the list (bits 0..15 of Alignment). */
    public static final long HEADER_X64_DEPTH_OFFSET = X64.offset("HeaderX64.Depth");
    /**
     * ULONGLONG:48, count: the ABA sequence (bits 16..63 of Alignment). Windows 10 x64 increments it
     * on every push (single entry or list) only: a pop leaves it unchanged, and a flush keeps it.
     */
    public static final long HEADER_X64_SEQUENCE_OFFSET = X64.offset("HeaderX64.Sequence");
    /** ULONGLONG:60, address bits 4..63: the first entry (bits 4..63 of Region). */
    public static final long HEADER_X64_NEXT_ENTRY_OFFSET = X64.offset("HeaderX64.NextEntry");

    /** Mask of HeaderX64.Depth within the quadword at ALIGNMENT_OFFSET. */
    public static final long HEADER_X64_DEPTH_MASK = X64.field("HeaderX64.Depth").mask();
    /** Mask of HeaderX64.Sequence within the quadword at ALIGNMENT_OFFSET. */
    public static final long HEADER_X64_SEQUENCE_MASK = X64.field("HeaderX64.Sequence").mask();
    /** Shift of HeaderX64.Sequence within the quadword at ALIGNMENT_OFFSET. */
    public static final int HEADER_X64_SEQUENCE_SHIFT = X64.field("HeaderX64.Sequence").bitOffset();
    /** Mask of HeaderX64.NextEntry within the quadword at REGION_OFFSET: the entry address itself (16-aligned). */
    public static final long HEADER_X64_NEXT_ENTRY_MASK = X64.field("HeaderX64.NextEntry").mask();

    private SLIST_HEADER() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        if (abi == Abi.X64) {
            return CStruct.union("SLIST_HEADER", abi)
                    .struct(null, s -> s.field("Alignment", CType.ULONGLONG).field("Region", CType.ULONGLONG))
                    .struct("HeaderX64", s -> s
                            .bits(CType.ULONGLONG, "Depth", 16, "Sequence", 48)
                            .bits(CType.ULONGLONG, "Reserved", 4)
                            .bits(CType.ULONGLONG, "NextEntry", 60))
                    .alignAs(16)
                    .build();
        }
        return CStruct.union("SLIST_HEADER", abi)
                .field("Alignment", CType.ULONGLONG)
                .struct(null, s -> s.field("Next", SINGLE_LIST_ENTRY.X86)
                        .field("Depth", CType.USHORT)
                        .field("CpuId", CType.USHORT))
                .build();
    }
}
