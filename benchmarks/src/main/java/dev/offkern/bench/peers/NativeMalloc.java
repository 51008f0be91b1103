package dev.offkern.bench.peers;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * glibc {@code malloc}/{@code calloc}/{@code free} through critical downcalls, pointers passed as {@code long} so
 * that no MemorySegment is allocated per call: the native allocator peer of the pool and lookaside
 * benchmarks.
 */
public final class NativeMalloc {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle MALLOC = LINKER.downcallHandle(LINKER.defaultLookup().find("malloc").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), Linker.Option.critical(false));
    private static final MethodHandle CALLOC = LINKER.downcallHandle(LINKER.defaultLookup().find("calloc").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), Linker.Option.critical(false));
    private static final MethodHandle FREE = LINKER.downcallHandle(LINKER.defaultLookup().find("free").orElseThrow(),
            FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG), Linker.Option.critical(false));

    private NativeMalloc() {
    }

    /** {@code malloc(bytes)} as an address (0 on failure). */
    public static long malloc(long bytes) {
        try {
            return (long) MALLOC.invokeExact(bytes);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code calloc(count, bytes)} as an address (0 on failure): zeroed memory, the peer of a zeroed pool block. */
    public static long calloc(long count, long bytes) {
        try {
            return (long) CALLOC.invokeExact(count, bytes);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code free(address)}. */
    public static void free(long address) {
        try {
            FREE.invokeExact(address);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
