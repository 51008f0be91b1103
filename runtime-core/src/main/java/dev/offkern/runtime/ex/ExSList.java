package dev.offkern.runtime.ex;

import dev.offkern.nt.DatatypeMisalignmentException;
import dev.offkern.layout.ex.SLIST_ENTRY;
import dev.offkern.layout.ex.SLIST_HEADER;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.verifier.Verifier;
import dev.offkern.runtime.verifier.VerifierCheck;
import dev.offkern.shim.SListShim;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * SLIST on the Windows x64 {@code SLIST_HEADER}: a lock-free LIFO stack of 16-byte aligned
 * {@code SLIST_ENTRY}s whose 16-byte header is changed only by a true 128-bit CAS
 * ({@code lock cmpxchg16b}) inside the native shim, one downcall per operation, so that native code
 * using the Windows protocol on the same header (a C peer, a real driver's code in an emulator) and
 * Java threads interoperate.
 *
 * <p>Header (see {@code SListShim} for the full protocol):
 * <pre>
 *   qword 0 (Alignment)                         qword 1 (Region)
 *   63                    16 15       0         63                      4 3    0
 *  +------------------------+----------+       +-------------------------+------+
 *  |  Sequence (48 bits)    | Depth(16)|       | NextEntry (first >> 4)  | Rsvd |
 *  +------------------------+----------+       +-------------------------+------+
 * </pre>
 * push: Depth+1, Sequence+1; push list: Depth+count, Sequence+1; pop: Depth-1; flush: Depth 0,
 * NextEntry 0 (Sequence kept).
 *
 * <p>Three tiers of entry points, all allocation-free:
 * <ul>
 *   <li>{@code push(long, long)} etc.: raw addresses, alignment checked (always), address space NOT
 *       checked: the caller vouches that header and entries are mapped (use for memory from
 *       offkern's pools or segments it holds). Cheapest.</li>
 *   <li>{@code push(AddressSpace, long, long)} etc.: as above, plus every header/entry address is
 *       resolved in the kernel's address space first (O(1)); an unmapped address is
 *       PAGE_FAULT_IN_NONPAGED_AREA (0x50) before native code touches it. The DDI uses these.</li>
 *   <li>The DDI in {@code dev.offkern.ddi.Ex} ({@code InterlockedPushEntrySList}, ...) over
 *       {@code MemorySegment}s: each pop returns a new bounded segment wrapper for the entry, which
 *       allocates unless escape analysis removes it.</li>
 * </ul>
 *
 * <p>Progress: lock-free. IRQL: any. Memory consistency: every operation is a full barrier (the
 * shim's {@code lock cmpxchg16b}); writes to an entry before pushing it happen-before reads after
 * the pop that returns it.
 *
 * <p>Which calls may run concurrently on one header: push, pushList, pop, flush, depth from any
 * number of threads (Java or native); {@link #firstEntry} is a non-atomic peek; {@link #initialize}
 * with nothing.
 */
public final class ExSList {

    /*
     * Implementation overview.
     *
     * The Java side validates (alignment always; address space on the checked tier) and makes one
     * downcall; the CAS loop, the ABA defence (48-bit Sequence incremented by every push) and the
     * linearization points are in the shim's C (offkern_shim.c, section SLIST). Java never writes
     * the header except in initialize (plain zeroing before publication, as InitializeSListHead)
     * and reads it only for depth/first-entry peeks (volatile 8-byte loads: each qword is read
     * atomically; the pair is not, which is why firstEntry is documented as a peek).
     *
     * Misaligned addresses: the shim masks NextEntry's low 4 bits as Windows does, so a misaligned
     * entry would be silently lost. Both the header and every entry are therefore checked for
     * 16-byte alignment before the downcall and refused with DatatypeMisalignmentException
     * (an IllegalArgumentException carrying STATUS_DATATYPE_MISALIGNMENT and the address), always,
     * verifier on or off: the check is one AND per address and corruption is never acceptable.
     *
     * Where offkern differs from Windows: Windows' x64 kernel does not check entry alignment (it
     * corrupts); the Ex* forms' Lock parameter is ignored on x64 as the x64 macros discard it.
     */

    /** {@code sizeof(SLIST_HEADER)} and {@code sizeof(SLIST_ENTRY)} on x64, and their alignment. */
    public static final long HEADER_SIZE = SLIST_HEADER.X64.size();
    /** {@code sizeof(SLIST_ENTRY)} on x64 (declared 16-byte aligned; only Next, the first 8 bytes, is used). */
    public static final long ENTRY_SIZE = SLIST_ENTRY.X64.size();
    /** Required alignment of headers and entries on x64 (MEMORY_ALLOCATION_ALIGNMENT). */
    public static final long ALIGNMENT = SLIST_HEADER.X64.align();

    private static final long DEPTH_MASK = SLIST_HEADER.HEADER_X64_DEPTH_MASK;
    private static final long ENTRY_MASK = SLIST_HEADER.HEADER_X64_NEXT_ENTRY_MASK;
    private static final long REGION_OFFSET = SLIST_HEADER.REGION_OFFSET;

    private ExSList() {
    }

    // ----- raw tier: alignment checked, address space not -----

    /** Zeroes the header (empty, Depth 0, Sequence 0). Not concurrent with any other operation. */
    public static void initialize(MemorySegment header) {
        checkAligned("SLIST_HEADER", header.address());
        if (header.byteSize() < HEADER_SIZE) {
            throw new IllegalArgumentException("SLIST_HEADER segment is " + header.byteSize() + " bytes, needs 16");
        }
        ALIGNMENT_WORD.setVolatile(header, SLIST_HEADER.ALIGNMENT_OFFSET, 0L); // volatile: publishes the empty header (with the next store)
        REGION_WORD.setVolatile(header, REGION_OFFSET, 0L); // volatile: as above
    }

    /** Pushes {@code entry}; returns the previous first entry, 0 if the list was empty. */
    public static long push(long header, long entry) {
        checkAligned("SLIST_HEADER", header);
        checkAligned("SLIST_ENTRY", entry);
        return SListShim.push(header, entry);
    }

    /** Pops the first entry; returns it, or 0 if the list was empty. */
    public static long pop(long header) {
        checkAligned("SLIST_HEADER", header);
        return SListShim.pop(header);
    }

    /** Empties the list; returns the former first entry (the chain stays linked), or 0. */
    public static long flush(long header) {
        checkAligned("SLIST_HEADER", header);
        return SListShim.flush(header);
    }

    /**
     * Pushes the chain {@code first .. last} of {@code count} entries, already linked through their
     * Next fields, in one operation; returns the previous first entry.
     */
    public static long pushList(long header, long first, long last, int count) {
        checkAligned("SLIST_HEADER", header);
        checkAligned("SLIST_ENTRY", first);
        checkAligned("SLIST_ENTRY", last);
        checkCount(count);
        return SListShim.pushList(header, first, last, count);
    }

    // ----- checked tier: every address resolved in the address space first -----

    /** {@link #push(long, long)} after resolving header and entry in {@code space} (bug check 0x50 if unmapped). */
    public static long push(AddressSpace space, long header, long entry) {
        checkAligned("SLIST_HEADER", header);
        checkAligned("SLIST_ENTRY", entry);
        space.regionOf(header, HEADER_SIZE);
        checkEntry(space, entry);
        return SListShim.push(header, entry);
    }

    /** {@link #pop(long)} after resolving the header in {@code space}. */
    public static long pop(AddressSpace space, long header) {
        checkAligned("SLIST_HEADER", header);
        space.regionOf(header, HEADER_SIZE);
        return SListShim.pop(header);
    }

    /** {@link #flush(long)} after resolving the header in {@code space}. */
    public static long flush(AddressSpace space, long header) {
        checkAligned("SLIST_HEADER", header);
        space.regionOf(header, HEADER_SIZE);
        return SListShim.flush(header);
    }

    /**
     * {@link #pushList(long, long, long, int)} after resolving the header and both ends of the chain
     * in {@code space} (the entries between them are the caller's chain and are not walked).
     */
    public static long pushList(AddressSpace space, long header, long first, long last, int count) {
        checkAligned("SLIST_HEADER", header);
        checkAligned("SLIST_ENTRY", first);
        checkAligned("SLIST_ENTRY", last);
        checkCount(count);
        space.regionOf(header, HEADER_SIZE);
        checkEntry(space, first);
        checkEntry(space, last);
        return SListShim.pushList(header, first, last, count);
    }

    /**
     * An entry about to be linked in (its Next written): in registered memory (0x50 otherwise); under
     * the verifier's SPECIAL_POOL family, inside one live block (an entry one past a block's end would
     * rewrite the next block's POOL_HEADER: 0xD6; one in a freed block: 0xD5).
     */
    private static void checkEntry(AddressSpace space, long entry) {
        if (Verifier.ENABLED && ThreadState.current().verifies(VerifierCheck.SPECIAL_POOL)) {
            space.checkLive(entry, entry, ENTRY_SIZE, true);
        } else {
            space.regionOf(entry, ENTRY_SIZE);
        }
    }

    /** The depth of the header at {@code header}, resolved in {@code space} (stale at once). */
    public static int depth(AddressSpace space, long header) {
        checkAligned("SLIST_HEADER", header);
        Region r = space.regionOf(header, HEADER_SIZE);
        return depth(r.segment(), r.offsetOf(header));
    }

    /** The first entry of the header at {@code header}, resolved in {@code space}: a non-atomic peek. */
    public static long firstEntry(AddressSpace space, long header) {
        checkAligned("SLIST_HEADER", header);
        Region r = space.regionOf(header, HEADER_SIZE);
        return firstEntry(r.segment(), r.offsetOf(header));
    }

    // ----- reads of a header in a segment -----

    /** {@code ExQueryDepthSList}: the low 16 bits of the header's first qword (stale at once). */
    public static int depth(MemorySegment segment, long offset) {
        long word = (long) ALIGNMENT_WORD.getVolatile(segment, offset + SLIST_HEADER.ALIGNMENT_OFFSET); // volatile: a fresh snapshot of Depth
        return (int) (word & DEPTH_MASK);
    }

    /** The header's Sequence (48 bits; stale at once). */
    public static long sequence(MemorySegment segment, long offset) {
        long word = (long) ALIGNMENT_WORD.getVolatile(segment, offset + SLIST_HEADER.ALIGNMENT_OFFSET); // volatile: a fresh snapshot
        return word >>> SLIST_HEADER.HEADER_X64_SEQUENCE_SHIFT;
    }

    /** {@code RtlFirstEntrySList}: the first entry, 0 if empty; not atomic with respect to push/pop. */
    public static long firstEntry(MemorySegment segment, long offset) {
        long word = (long) REGION_WORD.getVolatile(segment, offset + REGION_OFFSET); // volatile: a fresh snapshot of NextEntry
        return word & ENTRY_MASK;
    }

    /** The Next link of the entry in {@code segment} at {@code offset}. */
    public static long next(MemorySegment segment, long offset) {
        return segment.get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
    }

    /**
     * Links {@code entry}'s Next to {@code next} (to build a chain for {@link #pushList}); only for
     * entries the caller owns (not on any list).
     */
    public static void setNext(MemorySegment segment, long offset, long next) {
        segment.set(ValueLayout.JAVA_LONG_UNALIGNED, offset, next);
    }

    static void checkAligned(String what, long address) {
        if ((address & (ALIGNMENT - 1)) != 0 || address == 0) {
            throw misaligned(what, address);
        }
    }

    private static RuntimeException misaligned(String what, long address) {
        if (address == 0) {
            return new IllegalArgumentException(what + " is NULL");
        }
        return new DatatypeMisalignmentException(what, address, ALIGNMENT);
    }

    private static void checkCount(int count) {
        if (count <= 0 || count > 0xFFFF) {
            throw new IllegalArgumentException("InterlockedPushListSListEx Count must be in [1, 65535], not " + count);
        }
    }

    // ===== VarHandle mechanics =====
    // The header's protocol is owned by the shim (cmpxchg16b); these handles only zero it at
    // initialisation and read it for peeks.

    /** qword 0 (Depth, Sequence): coordinates (MemorySegment, long offset). */
    private static final VarHandle ALIGNMENT_WORD = ValueLayout.JAVA_LONG.varHandle().withInvokeExactBehavior();
    /** qword 1 (NextEntry): coordinates (MemorySegment, long offset). */
    private static final VarHandle REGION_WORD = ALIGNMENT_WORD;
}
