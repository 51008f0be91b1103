package dev.offkern.bench.ex;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The x86-format SLIST header, for research: an 8-byte header changed by one 64-bit
 * {@code VarHandle} compare-and-set, over ONE region whose entries are named by 32-bit offsets from
 * the region's base, so that it can be benchmarked side by side with the x64 header
 * ({@code dev.offkern.runtime.ex.ExSList}, a 16-byte header changed by {@code lock cmpxchg16b} in the
 * shim). Research code: it lives with the benchmarks, not in the shipped runtime.
 *
 * <p>Header word (a little-endian {@code ULONGLONG}, as Windows x86's
 * {@code SLIST_HEADER { SLIST_ENTRY Next; USHORT Depth; USHORT Sequence; }}):
 * <pre>
 *   63            48 47            32 31                             0
 *  +----------------+----------------+--------------------------------+
 *  | Sequence (16)  |   Depth (16)   |   Next: first entry's offset   |
 *  +----------------+----------------+--------------------------------+
 * </pre>
 * An entry is 8-byte aligned (x86's MEMORY_ALLOCATION_ALIGNMENT) and its first 4 bytes are its Next
 * link (the offset of the next entry, 0 for none). Offset 0 is NULL, so no entry may sit at offset 0:
 * put the header there.
 *
 * <p>Operations and their effect on the header (the same rule as the shim's x64 header):
 * push: Depth+1, Sequence+1; push list: Depth+count, Sequence+1; pop: Depth-1, Sequence kept;
 * flush: Depth 0, Next 0, Sequence kept. Depth stays inside its 16 bits (wraps, never carries into
 * Sequence), Sequence wraps modulo 2^16.
 *
 * <p>Progress: every operation is lock-free (a CAS loop that fails only when another operation
 * succeeded). Memory consistency: each successful operation is a volatile-mode CAS, so everything a
 * thread wrote to an entry before pushing it happens-before whatever the popping thread does after
 * the pop returned it.
 *
 * <p>Which calls may run concurrently on one header: push, pushList, pop, flush and depth with each
 * other, from any number of threads; {@link #initialize} with nothing.
 */
public final class SListX86 {

    /*
     * Implementation overview.
     *
     * Every operation reads the header word (volatile), computes the new word and CASes it
     * (volatile). The CAS is the linearization point; an empty pop linearizes at its volatile read.
     *
     * ABA: pop reads first = Next and next = first.Next, then CASes (seq, depth, first) to
     * (seq, depth-1, next). If between the two steps other threads popped `first`, and pushed it
     * back, Next equals `first` again but `next` may be stale; the re-push incremented Sequence, so
     * the CAS fails. Unlike the x64 header's 48-bit Sequence, this one has 16 bits: a pop delayed
     * across exactly k*65536 pushes that also restore the same first entry and depth would succeed
     * with a stale link. That window is the x86 format's known weakness (Windows later replaced the
     * x86 Sequence with a CpuId), and is part of what this class exists to measure.
     *
     * Reading first.Next of an entry another thread has just popped is safe: the entry lies in the
     * same region, which stays valid; the value may be garbage and the CAS then fails.
     */

    /** Size of the header in bytes. */
    public static final long HEADER_SIZE = 8;
    /** Required alignment of the header and of every entry. */
    public static final long ALIGNMENT = 8;

    private static final long NEXT_MASK = 0xFFFF_FFFFL;
    private static final int DEPTH_SHIFT = 32;
    private static final long DEPTH_MASK = 0xFFFFL << DEPTH_SHIFT;
    private static final int SEQUENCE_SHIFT = 48;
    private static final long SEQUENCE_ONE = 1L << SEQUENCE_SHIFT;

    private SListX86() {
    }

    /** Zeroes the header at {@code header} (empty, depth 0, sequence 0). Not concurrent with anything. */
    public static void initialize(MemorySegment region, long header) {
        checkHeader(region, header);
        HEADER.setVolatile(region, header, 0L); // volatile: publishes the empty header to later users
    }

    /**
     * Pushes the entry at offset {@code entry}; returns the previous first entry's offset, 0 if the
     * list was empty.
     */
    public static long push(MemorySegment region, long header, long entry) {
        return pushList(region, header, entry, entry, 1);
    }

    /**
     * Pushes the chain {@code first .. last} (already linked through their Next fields by the
     * caller) of {@code count} entries in one operation; returns the previous first entry's offset.
     */
    public static long pushList(MemorySegment region, long header, long first, long last, int count) {
        checkHeader(region, header);
        checkEntry(region, first);
        checkEntry(region, last);
        if (count <= 0 || count > 0xFFFF) {
            throw new IllegalArgumentException("x86 SLIST pushList count must be in [1, 65535], not " + count);
        }
        long old = (long) HEADER.getVolatile(region, header); // volatile: pairs with the CAS of other operations
        for (;;) {
            long oldFirst = old & NEXT_MASK;
            // Plain store: the chain is private to this thread until the CAS (volatile) publishes it.
            region.set(ValueLayout.JAVA_INT_UNALIGNED, last, (int) oldFirst);
            long depth = (old + ((long) count << DEPTH_SHIFT)) & DEPTH_MASK;
            long seq = (old & ~(DEPTH_MASK | NEXT_MASK)) + SEQUENCE_ONE; // wraps mod 2^16 off the top
            long next = seq | depth | first;
            long witness = (long) HEADER.compareAndExchange(region, header, old, next); // volatile CAS: linearization point
            if (witness == old) {
                return oldFirst;
            }
            old = witness;
        }
    }

    /** Pops the first entry; returns its offset, or 0 if the list was empty. */
    public static long pop(MemorySegment region, long header) {
        checkHeader(region, header);
        long old = (long) HEADER.getVolatile(region, header); // volatile: an empty pop linearizes here
        for (;;) {
            long first = old & NEXT_MASK;
            if (first == 0) {
                return 0;
            }
            // Plain read of a link that may be stale or torn by a concurrent re-push: the volatile
            // read/CAS of the header orders it after the pusher's CAS, and if the entry changed
            // since, Sequence changed and the CAS below fails.
            long next = region.get(ValueLayout.JAVA_INT_UNALIGNED, first) & NEXT_MASK;
            long depth = (old - (1L << DEPTH_SHIFT)) & DEPTH_MASK;
            long updated = (old & ~(DEPTH_MASK | NEXT_MASK)) | depth | next;
            long witness = (long) HEADER.compareAndExchange(region, header, old, updated); // volatile CAS: linearization point
            if (witness == old) {
                return first;
            }
            old = witness;
        }
    }

    /** Empties the list; returns the former first entry's offset (the chain stays linked), or 0. */
    public static long flush(MemorySegment region, long header) {
        checkHeader(region, header);
        long old = (long) HEADER.getVolatile(region, header); // volatile: pairs with other operations' CAS
        for (;;) {
            long updated = old & ~(DEPTH_MASK | NEXT_MASK); // Sequence kept
            long witness = (long) HEADER.compareAndExchange(region, header, old, updated); // volatile CAS: linearization point
            if (witness == old) {
                return old & NEXT_MASK;
            }
            old = witness;
        }
    }

    /** The current depth (may be stale at once). */
    public static int depth(MemorySegment region, long header) {
        checkHeader(region, header);
        long word = (long) HEADER.getVolatile(region, header); // volatile: a fresh snapshot
        return (int) ((word & DEPTH_MASK) >>> DEPTH_SHIFT);
    }

    /** The current sequence number (may be stale at once). */
    public static int sequence(MemorySegment region, long header) {
        checkHeader(region, header);
        long word = (long) HEADER.getVolatile(region, header); // volatile: a fresh snapshot
        return (int) (word >>> SEQUENCE_SHIFT);
    }

    /** The first entry's offset, 0 if empty: a peek, not atomic with respect to later operations. */
    public static long firstEntry(MemorySegment region, long header) {
        checkHeader(region, header);
        return (long) HEADER.getVolatile(region, header) & NEXT_MASK; // volatile: a fresh snapshot
    }

    /** The Next link stored in the entry at {@code entry} (0 for none). */
    public static long next(MemorySegment region, long entry) {
        checkEntry(region, entry);
        return region.get(ValueLayout.JAVA_INT_UNALIGNED, entry) & NEXT_MASK;
    }

    private static void checkHeader(MemorySegment region, long header) {
        if ((header & (ALIGNMENT - 1)) != 0 || header < 0 || header > region.byteSize() - HEADER_SIZE
                || ((region.address() + header) & (ALIGNMENT - 1)) != 0) {
            throw new IllegalArgumentException("x86 SLIST header at offset 0x" + Long.toHexString(header)
                    + " must be 8-byte aligned and lie inside the region of 0x" + Long.toHexString(region.byteSize()) + " bytes");
        }
    }

    private static void checkEntry(MemorySegment region, long entry) {
        if (entry <= 0 || entry > NEXT_MASK || (entry & (ALIGNMENT - 1)) != 0 || entry > region.byteSize() - 4) {
            throw new IllegalArgumentException("x86 SLIST entry at offset 0x" + Long.toHexString(entry)
                    + " must be a non-zero, 8-byte aligned 32-bit offset inside the region of 0x"
                    + Long.toHexString(region.byteSize()) + " bytes");
        }
    }

    // ===== VarHandle mechanics =====

    /** The header word: coordinates (MemorySegment region, long offset). */
    private static final VarHandle HEADER = ValueLayout.JAVA_LONG.varHandle().withInvokeExactBehavior();
}
