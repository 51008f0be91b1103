package dev.offkern.runtime.ex;

import dev.offkern.nt.BugCheck;
import dev.offkern.nt.DatatypeMisalignmentException;
import dev.offkern.layout.ex.SLIST_ENTRY;
import dev.offkern.layout.ex.SLIST_HEADER;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.verifier.Verifier;
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
 * <p>Two tiers of entry points:
 * <ul>
 *   <li>{@code push(AddressSpace, long, long)} etc.: raw addresses, allocation-free. Alignment is
 *       checked in Java (always); every address the operation dereferences — the header, the entry
 *       pushed, each entry a pop or a push list follows — is checked by the shim against the
 *       address space's granule table inside the native call, immediately before the access. An
 *       unmapped address is bug check PAGE_FAULT_IN_NONPAGED_AREA (0x50) with the address, raised
 *       through the kernel's bug-check path; the JVM never touches it.</li>
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
 * with nothing. Any of them may race with {@code Kernel.close()}: a call that starts before the
 * kernel's memory is unmapped either completes or reports the kernel closed, never touches
 * unmapped memory (see {@code AddressSpace}).
 */
public final class ExSList {

    /*
     * Implementation overview.
     *
     * The Java side checks alignment and makes one downcall; the CAS loop, the ABA defence (48-bit
     * Sequence incremented by every push), the linearization points and the address checks are in
     * the shim's C (offkern_shim.c, section SLIST; the granule table in offkern_map.h). Java never
     * writes the header except in initialize (plain zeroing before publication, as
     * InitializeSListHead) and reads it only for depth/first-entry peeks (volatile 8-byte loads: each
     * qword is read atomically; the pair is not, which is why firstEntry is documented as a peek).
     *
     * Where the check happens. A Java check before the downcall could not protect the pop: the entry
     * it follows is read from memory inside the CAS loop, and may change between iterations. So the
     * shim checks each address in the iteration that dereferences it, against the same table the
     * address space keeps for its regions, inside a read-side section that keeps the memory mapped
     * until the call returns. A failed check comes back as a fault result (SListShim.isFault); the
     * slow path here turns it into the bug check, or, when the address space is closed, into the
     * "kernel closed" IllegalStateException.
     *
     * Faults and what they raise (all through AddressSpace.fault, i.e. the kernel's bug-check path):
     *   header or entry outside the table       0x50 (address)
     *   pop: the list's first entry outside it  0x50 (that entry: the link as the header keeps it,
     *                                           low four bits dropped, as Windows' header stores it)
     *   push list: a link outside the table or  0x50 (the link as read from the entry holding it)
     *              misaligned
     *   push list: NULL before ListEnd, or not  IllegalArgumentException naming the entries (the
     *              at ListEnd after Count       memory is fine; Count or the chain is wrong);
     *                                           nothing is changed
     * Windows' SLIST detects none of these: it follows the link and page-faults (0x50); its
     * FAST_FAIL codes have no SLIST entry (FAST_FAIL_CORRUPT_LIST_ENTRY is LIST_ENTRY's), so 0x50 is
     * the documented outcome offkern reproduces, minus the crash.
     *
     * Misaligned addresses: the shim masks NextEntry's low 4 bits as Windows does, so a misaligned
     * entry would be silently lost. Both the header and every entry are therefore checked for
     * 16-byte alignment before the downcall and refused with DatatypeMisalignmentException
     * (an IllegalArgumentException carrying STATUS_DATATYPE_MISALIGNMENT and the address), always,
     * verifier on or off: the check is one AND per address and corruption is never acceptable.
     *
     * Cost: the checks add about 1 ns per call in steady state (a compare against the calling thread's
     * cached ranges and the read-side section; SListPushPopBenchmark, docs/address-space.md); the
     * Java-side region lookups they replace cost more.
     *
     * Where offkern differs from Windows: Windows' x64 kernel does not check entry alignment (it
     * corrupts) nor walk a pushed chain; the Ex* forms' Lock parameter is ignored on x64 as the x64
     * macros discard it.
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

    /** Zeroes the header (empty, Depth 0, Sequence 0). Not concurrent with any other operation. */
    public static void initialize(MemorySegment header) {
        checkAligned("SLIST_HEADER", header.address());
        if (header.byteSize() < HEADER_SIZE) {
            throw new IllegalArgumentException("SLIST_HEADER segment is " + header.byteSize() + " bytes, needs 16");
        }
        ALIGNMENT_WORD.setVolatile(header, SLIST_HEADER.ALIGNMENT_OFFSET, 0L); // volatile: publishes the empty header (with the next store)
        REGION_WORD.setVolatile(header, REGION_OFFSET, 0L); // volatile: as above
    }

    /**
     * Pushes {@code entry}; returns the previous first entry, 0 if the list was empty.
     *
     * @throws BugCheck PAGE_FAULT_IN_NONPAGED_AREA if the header or the entry is not in {@code space}
     */
    public static long push(AddressSpace space, long header, long entry) {
        checkAligned("SLIST_HEADER", header);
        checkAligned("SLIST_ENTRY", entry);
        verifyEntry(space, entry);
        long r = SListShim.push(space.granules(), header, entry);
        return SListShim.isFault(r) ? fault(space, r, header, entry, entry, 1) : r;
    }

    /**
     * Pops the first entry; returns it, or 0 if the list was empty.
     *
     * @throws BugCheck PAGE_FAULT_IN_NONPAGED_AREA if the header, or the first entry the list links to,
     *                  is not in {@code space}
     */
    public static long pop(AddressSpace space, long header) {
        checkAligned("SLIST_HEADER", header);
        long r = SListShim.pop(space.granules(), header);
        return SListShim.isFault(r) ? fault(space, r, header, 0, 0, 0) : r;
    }

    /** Empties the list; returns the former first entry (the chain stays linked), or 0. */
    public static long flush(AddressSpace space, long header) {
        checkAligned("SLIST_HEADER", header);
        long r = SListShim.flush(space.granules(), header);
        return SListShim.isFault(r) ? fault(space, r, header, 0, 0, 0) : r;
    }

    /**
     * Pushes the chain {@code first .. last} of {@code count} entries, already linked through their
     * Next fields, in one operation; returns the previous first entry. The chain is walked and
     * checked first; nothing changes if it is wrong.
     *
     * @throws BugCheck                 PAGE_FAULT_IN_NONPAGED_AREA for a header, entry or link outside
     *                                  {@code space}
     * @throws IllegalArgumentException if the chain ends before {@code last} or is not at {@code last}
     *                                  after {@code count} entries
     */
    public static long pushList(AddressSpace space, long header, long first, long last, int count) {
        checkAligned("SLIST_HEADER", header);
        checkAligned("SLIST_ENTRY", first);
        checkAligned("SLIST_ENTRY", last);
        checkCount(count);
        verifyEntry(space, first);
        verifyEntry(space, last);
        long r = SListShim.pushList(space.granules(), header, first, last, count);
        return SListShim.isFault(r) ? fault(space, r, header, first, last, count) : r;
    }

    /**
     * The verifier's SPECIAL_POOL check of an entry about to be linked in (its Next written): it must
     * lie inside one live block (an entry one past a block's end would rewrite the next block's
     * POOL_HEADER: 0xD6; one in a freed block: 0xD5). Without the family the shim's region check
     * (0x50) is what stands.
     */
    private static void verifyEntry(AddressSpace space, long entry) {
        if (Verifier.ENABLED && space.specialPoolChecks()) { // the kernel's SPECIAL_POOL family, as every thread's state has it
            space.checkLive(entry, entry, ENTRY_SIZE, true);
        }
    }

    /** The slow path of a fault result: the bug check (or the closed kernel's exception) it stands for. */
    private static long fault(AddressSpace space, long result, long header, long first, long last, int count) {
        space.ensureOpen();
        long at = SListShim.faultAddress(result);
        throw switch (SListShim.faultCode(result)) {
            case SListShim.FAULT_HEADER -> space.fault(header, HEADER_SIZE,
                    "SLIST_HEADER 0x" + Long.toHexString(header) + " is not in any region");
            case SListShim.FAULT_ENTRY -> space.fault(at, ENTRY_SIZE, at == first || at == last
                    ? "SLIST_ENTRY 0x" + Long.toHexString(at) + " is not in any region"
                    : "the SLIST at 0x" + Long.toHexString(header) + " links to 0x" + Long.toHexString(at)
                            + ", which is not in any region (a corrupted Next, an entry freed while listed, or"
                            + " a header never initialized)");
            case SListShim.FAULT_LINK -> {
                Region holder = space.regionOf(at, ENTRY_SIZE); // checked by the shim: it is mapped
                long link = next(holder.segment(), holder.offsetOf(at));
                yield space.fault(link, ENTRY_SIZE, "InterlockedPushListSListEx: entry 0x" + Long.toHexString(at)
                        + " of the chain from 0x" + Long.toHexString(first) + " links to 0x" + Long.toHexString(link)
                        + ", which is not a mapped, 16-byte aligned SLIST_ENTRY");
            }
            case SListShim.FAULT_SHORT_CHAIN -> new IllegalArgumentException(String.format(
                    "InterlockedPushListSListEx: the chain from List 0x%x ends (Next NULL) at 0x%x before ListEnd 0x%x;"
                            + " Count %d; nothing was pushed", first, at, last, count));
            case SListShim.FAULT_CHAIN_MISMATCH -> new IllegalArgumentException(String.format(
                    "InterlockedPushListSListEx: after Count %d entries the chain from List 0x%x is at 0x%x, not at"
                            + " ListEnd 0x%x; nothing was pushed", count, first, at, last));
            default -> new IllegalStateException("unknown SLIST fault result 0x" + Long.toHexString(result));
        };
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
