package dev.offkern.shim;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Population count of 8-byte words of mapped memory, in the shim ({@code offkern_bits.c}): four
 * independent sums, so the count runs at the speed the buffer can be read, where C2 compiles a Java
 * loop of {@code Long.bitCount} over a segment into one add chain (docs/performance.md,
 * "RtlNumberOfSetBits").
 *
 * <p>The range is looked up in the caller's {@link GranuleTable} inside the call, in a read-side
 * section, before any load; removing the range from the map waits for the count, so a concurrent
 * unmap never faults it. Counts of up to {@link #CRITICAL_MAX_WORDS} words are critical downcalls
 * (no thread-state transition; they end in microseconds); longer ones are ordinary downcalls, so a
 * count over a gigabit never holds off a safepoint. Nothing here allocates.
 *
 * <p>Progress: wait-free (a bounded loop over memory the section keeps mapped).
 */
public final class BitCount {

    /** The most words counted inside one critical downcall (512 KiB: tens of microseconds at most). */
    public static final long CRITICAL_MAX_WORDS = 1L << 16;

    private static final FunctionDescriptor POPCOUNT = FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG);
    private static final MethodHandle POPCOUNT_CRITICAL =
            NativeShim.downcallOrNull("offkern_popcount64", POPCOUNT, Linker.Option.critical(false));
    private static final MethodHandle POPCOUNT_LONG = NativeShim.downcallOrNull("offkern_popcount64", POPCOUNT);

    private BitCount() {
    }

    /** Whether the shim is loaded here (else callers count in Java). */
    public static boolean isAvailable() {
        return POPCOUNT_CRITICAL != null;
    }

    /**
     * The number of 1 bits in the {@code words} little-endian 8-byte words at {@code address} (any
     * alignment), or -1 if {@code [address, address + 8 * words)} is not mapped in {@code map} (nothing
     * is read then). Zero words count 0 wherever they are.
     *
     * @throws IllegalArgumentException if {@code words} is negative
     * @throws UnsupportedOperationException if the shim is not loaded (see {@link #isAvailable()})
     */
    public static long count(GranuleTable map, long address, long words) {
        if (words < 0) {
            throw new IllegalArgumentException("negative word count " + words);
        }
        if (POPCOUNT_CRITICAL == null) {
            throw NativeShim.unavailable();
        }
        try {
            return words <= CRITICAL_MAX_WORDS
                    ? (long) POPCOUNT_CRITICAL.invokeExact(map.handle(), address, words)
                    : (long) POPCOUNT_LONG.invokeExact(map.handle(), address, words);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        } finally {
            java.lang.ref.Reference.reachabilityFence(map); // the native map lives as long as its Java object
        }
    }
}
