package dev.offkern.shim;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Reference;

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
 * <p><b>Every dereference checked.</b> The header, the entry being pushed and every entry a pop or a
 * push list follows are looked up in the caller's {@link GranuleTable} inside the native call,
 * immediately before they are read or written; an address outside it is returned as a <em>fault
 * result</em> instead of being touched (see {@link #isFault}). A pop that finds the list's first
 * entry outside the table confirms, with an atomic read of the header, that the list still holds it
 * (otherwise it retries: another thread took that entry meanwhile). A push list also walks the
 * caller's chain from {@code first}, checking each link, and requires it to reach {@code last}
 * after exactly {@code count - 1} links. Removing a range from the table waits for every call in
 * flight, so the table's owner may unmap memory while other threads are inside these routines.
 *
 * <p>Results: an entry address or 0 (always 16-byte aligned), or a fault: low four bits
 * {@link #FAULT_HEADER}, {@link #FAULT_ENTRY}, {@link #FAULT_LINK}, {@link #FAULT_SHORT_CHAIN} or
 * {@link #FAULT_CHAIN_MISMATCH}, the other bits the (16-byte aligned) address concerned
 * ({@link #faultAddress}). The Java checks made before the call (NULL, alignment) throw
 * {@link IllegalArgumentException}.
 *
 * <p>Progress: lock-free (a CAS fails only because another operation succeeded). Memory consistency:
 * every operation is a full barrier (locked instruction); a pop that returns an entry sees every write
 * made before the push that published it.
 */
public final class SListShim {

    /* Implementation overview
     *
     * Critical downcalls with JAVA_LONG arguments and results: no MemorySegment is created per call, no
     * thread-state transition is made, nothing is allocated on the Java heap. They must stay critical:
     * the table's grace period is a JVM-wide handshake, which waits for a thread inside a critical
     * downcall but not for one inside an ordinary downcall (GranuleTable.awaitCriticalCalls), and the
     * C routines enter no read-side section. The handles are static
     * finals so that invokeExact inlines. The table is kept reachable across each call
     * (Reference.reachabilityFence) so that its Cleaner cannot free the C map under the call.
     * Concurrency matrix: push, pushList, pop and flush may all run concurrently on one header from any
     * number of threads, and with GranuleTable.insert/remove/close; a read of the header's fields
     * (depth/first) is a racy snapshot unless no operation is in flight.
     *
     * Safepoints. A critical downcall does not poll for safepoints, yet C2 compiles it as a call that
     * does, and drops the poll of a loop whose every iteration makes one: a loop spinning on pop()
     * would hold off GC and every handshake (closing a shared arena) indefinitely. So the shim marks
     * every 64th result of a thread with POLL_REQUEST (low bits 0xF, the result in the others), and
     * pollThen answers it with an ordinary downcall, whose return to Java polls. Cost: one predictable
     * branch per call, one ~8 ns downcall per 64 calls.
     */

    private static final Linker.Option CRITICAL = Linker.Option.critical(false);
    private static final MethodHandle PUSH = NativeShim.downcallOrNull("offkern_slist_push",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG), CRITICAL);
    private static final MethodHandle POP = NativeShim.downcallOrNull("offkern_slist_pop",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), CRITICAL);
    private static final MethodHandle FLUSH = NativeShim.downcallOrNull("offkern_slist_flush",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), CRITICAL);
    private static final MethodHandle SAFEPOINT_POLL = NativeShim.downcallOrNull("offkern_safepoint_poll",
            FunctionDescriptor.ofVoid());
    private static final MethodHandle PUSH_LIST = NativeShim.downcallOrNull("offkern_slist_push_list",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT), CRITICAL);

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

    /** Fault: the header's 16 bytes are not in the table; the address is the header. */
    public static final int FAULT_HEADER = 1;
    /**
     * Fault: an entry to dereference is not in the table; the address is that entry (push: the entry,
     * push list: {@code first} or {@code last}, pop: the list's first entry).
     */
    public static final int FAULT_ENTRY = 2;
    /** Fault (push list): the Next of the entry at the address is not a mapped, 16-byte aligned entry. */
    public static final int FAULT_LINK = 3;
    /** Fault (push list): the Next of the entry at the address is NULL before {@code last} was reached. */
    public static final int FAULT_SHORT_CHAIN = 4;
    /**
     * Fault (push list): the chain does not end at {@code last} after {@code count} entries; the address
     * is where it is instead ({@code last} itself if it was reached too early).
     */
    public static final int FAULT_CHAIN_MISMATCH = 5;

    private static final long FAULT_MASK = 0xF;
    /** The shim's "poll for a safepoint first" marker (not a fault; see {@link #pollThen}). */
    private static final long POLL_REQUEST = 0xF;

    private SListShim() {
    }

    /** Whether the operations work here (shim loaded, cmpxchg16b present). */
    public static boolean isSupported() {
        return SUPPORTED;
    }

    /** Whether {@code result} (of any routine here) is a fault rather than an address or 0. */
    public static boolean isFault(long result) {
        return (result & FAULT_MASK) != 0;
    }

    /** The fault code of a fault result ({@link #FAULT_HEADER} ... {@link #FAULT_CHAIN_MISMATCH}). */
    public static int faultCode(long result) {
        return (int) (result & FAULT_MASK);
    }

    /** The 16-byte aligned address a fault result concerns. */
    public static long faultAddress(long result) {
        return result & ~FAULT_MASK;
    }

    /**
     * Pushes {@code entry} on the list at {@code header}.
     *
     * @return the previous first entry, 0 if the list was empty, or a fault result
     */
    public static long push(GranuleTable map, long header, long entry) {
        if (((header | entry) & 15) != 0 || header == 0 || entry == 0 || !SUPPORTED) {
            throw bad(header, entry, entry);
        }
        try {
            long r = (long) PUSH.invokeExact(map.handle(), header, entry);
            return (r & FAULT_MASK) == POLL_REQUEST ? pollThen(r) : r;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        } finally {
            Reference.reachabilityFence(map);
        }
    }

    /**
     * Pops the first entry.
     *
     * @return the removed entry's address, 0 if the list was empty, or a fault result
     */
    public static long pop(GranuleTable map, long header) {
        if ((header & 15) != 0 || header == 0 || !SUPPORTED) {
            throw bad(header, 16, 16);
        }
        try {
            long r = (long) POP.invokeExact(map.handle(), header);
            return (r & FAULT_MASK) == POLL_REQUEST ? pollThen(r) : r;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        } finally {
            Reference.reachabilityFence(map);
        }
    }

    /**
     * Empties the list; the entries stay linked through their Next fields.
     *
     * @return the former first entry, 0 if the list was empty, or a fault result
     */
    public static long flush(GranuleTable map, long header) {
        if ((header & 15) != 0 || header == 0 || !SUPPORTED) {
            throw bad(header, 16, 16);
        }
        try {
            long r = (long) FLUSH.invokeExact(map.handle(), header);
            return (r & FAULT_MASK) == POLL_REQUEST ? pollThen(r) : r;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        } finally {
            Reference.reachabilityFence(map);
        }
    }

    /**
     * Pushes an already linked chain {@code first -> ... -> last} of {@code count} entries in one
     * atomic step ({@code InterlockedPushListSListEx}); {@code last->Next} is set to the old first entry.
     * The chain is walked and checked first (each link mapped and aligned, {@code last} reached after
     * exactly {@code count - 1} links); a chain that fails is reported and nothing is changed.
     *
     * @return the previous first entry, 0, or a fault result
     */
    public static long pushList(GranuleTable map, long header, long first, long last, int count) {
        if (((header | first | last) & 15) != 0 || header == 0 || first == 0 || last == 0 || !SUPPORTED) {
            throw bad(header, first, last);
        }
        if (count <= 0) {
            throw new IllegalArgumentException("pushList count must be positive, was " + count);
        }
        try {
            long r = (long) PUSH_LIST.invokeExact(map.handle(), header, first, last, count);
            return (r & FAULT_MASK) == POLL_REQUEST ? pollThen(r) : r;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        } finally {
            Reference.reachabilityFence(map);
        }
    }

    /** Answers the shim's poll request (see the implementation overview) and returns the real result. */
    static long pollThen(long result) {
        safepointPoll();
        return result & ~POLL_REQUEST;
    }

    /** An ordinary downcall to an empty function: the return from native code polls for a safepoint. */
    static void safepointPoll() {
        try {
            SAFEPOINT_POLL.invokeExact();
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
