package dev.offkern.shim;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Whole SLIST operations on a byte-exact Windows x64 {@code SLIST_HEADER}, one native call each
 * (a {@code lock cmpxchg16b} loop in C): the engine behind {@code InterlockedPushEntrySList} and
 * friends.
 *
 * <pre>
 *  SLIST_HEADER (16 bytes, 16-byte aligned)
 *  qword 0 (Alignment)                         qword 1 (Region)
 *  63                    16 15       0         63                      4 3    0
 * +------------------------+----------+       +-------------------------+------+
 * |  Sequence (48 bits)    | Depth(16)|       | NextEntry (first &gt;&gt; 4)| Rsvd |
 * +------------------------+----------+       +-------------------------+------+
 *  SLIST_ENTRY: 16-byte aligned, its first 8 bytes are Next.
 * </pre>
 *
 * <p>Semantics, as Windows 10 x64 implements them (RtlpInterlocked*SList):
 * <ul>
 * <li>{@link #push}: {@code entry->Next = old first}; first := entry; Depth+1; Sequence+1.</li>
 * <li>{@link #pushList}: {@code last->Next = old first}; first := first; Depth+count; Sequence+1.</li>
 * <li>{@link #pop}: first := first->Next; Depth-1; Sequence unchanged; the popped entry's Next is
 *     left as it was.</li>
 * <li>{@link #flush}: first := NULL; Depth := 0; Sequence unchanged.</li>
 * </ul>
 * Depth is 16 bits and wraps within them; Sequence is 48 bits and wraps. Every push advances
 * Sequence, which defeats ABA: see the C file for the full story.
 *
 * <p><b>Raw addresses, unchecked regions.</b> The arguments are plain addresses. The runtime
 * (dev.offkern.runtime's SLIST code) checks that they lie inside registered regions before calling;
 * this class checks only what costs nothing (non-zero, 16-byte aligned) and otherwise trusts its
 * caller. Entries must live in memory that stays mapped as long as the list is used (pool memory):
 * a pop may read the Next field of an entry another thread popped a moment ago.
 *
 * <p>Progress: lock-free (a CAS fails only because another operation succeeded). Memory consistency:
 * every operation is a full barrier (locked instruction); a pop that returns an entry sees every write
 * made before the push that published it.
 */
public final class SListShim {

    /* Implementation overview
     *
     * Critical downcalls with JAVA_LONG arguments and results: no MemorySegment is created per call, no
     * thread-state transition is made, nothing is allocated on the Java heap. The handles are static
     * finals so that invokeExact inlines. Concurrency matrix: push, pushList, pop and flush may all run
     * concurrently on one header from any number of threads; a read of the header's fields
     * (depth/first) is a racy snapshot unless no operation is in flight.
     */

    private static final Linker.Option CRITICAL = Linker.Option.critical(false);
    private static final MethodHandle PUSH = NativeShim.downcallOrNull("offkern_slist_push",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), CRITICAL);
    private static final MethodHandle POP = NativeShim.downcallOrNull("offkern_slist_pop",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), CRITICAL);
    private static final MethodHandle FLUSH = NativeShim.downcallOrNull("offkern_slist_flush",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), CRITICAL);
    private static final MethodHandle PUSH_LIST = NativeShim.downcallOrNull("offkern_slist_push_list",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT), CRITICAL);
    private static final MethodHandle BENCH = NativeShim.downcallOrNull("offkern_slist_bench_push_pop",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG), CRITICAL);

    /** Whether the shim loaded and the CPU has cmpxchg16b. */
    private static final boolean SUPPORTED = Cas128.isSupported();

    /** Byte offset of qword 0 (Depth, Sequence) in SLIST_HEADER. */
    public static final long ALIGNMENT_OFFSET = 0;
    /** Byte offset of qword 1 (NextEntry, i.e. the first entry's address) in SLIST_HEADER. */
    public static final long REGION_OFFSET = 8;
    /** Mask of Depth in qword 0. */
    public static final long DEPTH_MASK = 0xFFFFL;
    /** Shift of Sequence in qword 0. */
    public static final int SEQUENCE_SHIFT = 16;
    /** Mask of the first entry's address in qword 1 (bits 0..3 are reserved). */
    public static final long NEXT_ENTRY_MASK = ~0xFL;

    private SListShim() {
    }

    /** Whether the operations work here (shim loaded, cmpxchg16b present). */
    public static boolean isSupported() {
        return SUPPORTED;
    }

    /**
     * Pushes {@code entry} on the list at {@code header}.
     *
     * @return the previous first entry, or 0 if the list was empty
     */
    public static long push(long header, long entry) {
        if (((header | entry) & 15) != 0 || header == 0 || entry == 0 || !SUPPORTED) {
            throw bad(header, entry, entry);
        }
        try {
            return (long) PUSH.invokeExact(header, entry);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Pops the first entry.
     *
     * @return the removed entry's address, or 0 if the list was empty
     */
    public static long pop(long header) {
        if ((header & 15) != 0 || header == 0 || !SUPPORTED) {
            throw bad(header, 16, 16);
        }
        try {
            return (long) POP.invokeExact(header);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Empties the list; the entries stay linked through their Next fields.
     *
     * @return the former first entry, or 0 if the list was empty
     */
    public static long flush(long header) {
        if ((header & 15) != 0 || header == 0 || !SUPPORTED) {
            throw bad(header, 16, 16);
        }
        try {
            return (long) FLUSH.invokeExact(header);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Pushes an already linked chain {@code first -> ... -> last} of {@code count} entries in one
     * atomic step ({@code InterlockedPushListSListEx}); {@code last->Next} is set to the old first entry.
     * The caller guarantees that the chain really has {@code count} entries.
     *
     * @return the previous first entry, or 0
     */
    public static long pushList(long header, long first, long last, int count) {
        if (((header | first | last) & 15) != 0 || header == 0 || first == 0 || last == 0 || !SUPPORTED) {
            throw bad(header, first, last);
        }
        if (count <= 0) {
            throw new IllegalArgumentException("pushList count must be positive, was " + count);
        }
        try {
            return (long) PUSH_LIST.invokeExact(header, first, last, count);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Native push+pop of {@code entry} {@code iterations} times in one call: the floor a Java SLIST
     * benchmark is compared with. The list must not be used concurrently while this runs.
     *
     * @return a checksum of the returned addresses (keeps the work observable)
     */
    public static long benchPushPop(long header, long entry, long iterations) {
        if (((header | entry) & 15) != 0 || header == 0 || entry == 0 || !SUPPORTED) {
            throw bad(header, entry, entry);
        }
        try {
            return (long) BENCH.invokeExact(header, entry, iterations);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static RuntimeException bad(long header, long a, long b) {
        if (!SUPPORTED) {
            return Cas128.unsupported();
        }
        if (header == 0) {
            return new IllegalArgumentException("SLIST_HEADER address is NULL");
        }
        if ((header & 15) != 0) {
            return new IllegalArgumentException(String.format("SLIST_HEADER 0x%x is not 16-byte aligned", header));
        }
        long e = a == 0 || (a & 15) != 0 ? a : b;
        if (e == 0) {
            return new IllegalArgumentException("SLIST_ENTRY address is NULL");
        }
        return new IllegalArgumentException(String.format("SLIST_ENTRY 0x%x is not 16-byte aligned", e));
    }
}
