package dev.offkern.shim;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * A true 16-byte compare-and-swap: one {@code lock cmpxchg16b} in the native shim
 * ({@code offkern_cas128}), the x64 {@code InterlockedCompareExchange128}.
 *
 * <p>The 16 bytes at {@code dst} are compared, as a unit, with {@code (cmpLo, cmpHi)} (low qword at
 * {@code dst}, high qword at {@code dst + 8}, little-endian as in memory) and replaced with
 * {@code (newLo, newHi)} if equal. Either way the 16 bytes the instruction witnessed are written to
 * {@code witness} (low qword first): on failure the current contents, on success the old value, which
 * equals the comparand. {@code dst} must be 16-byte aligned (the instruction faults otherwise; both
 * Java and C check).
 *
 * <p>Progress: wait-free (one instruction). Memory consistency: a full barrier, like every
 * Interlocked routine (a locked instruction is sequentially consistent on x86).
 *
 * <p>There is no fallback: a CPU without cmpxchg16b (CPUID.01H:ECX.CX16) gets an
 * {@link UnsupportedOperationException} saying exactly that; offkern never imitates the 16-byte CAS
 * with a lock.
 */
public final class Cas128 {

    /* Implementation overview
     *
     * Two downcall handles. The raw one (offkern_cas128_mapped) takes addresses as JAVA_LONG and is
     * critical: no MemorySegment is created, no thread-state transition happens (and it must stay
     * critical: the table's grace period, a handshake, waits only for critical calls; see
     * GranuleTable.awaitCriticalCalls); it checks both
     * addresses against the caller's GranuleTable inside the call, immediately before the
     * instruction, so a wrong address is refused instead of faulting, and a range being removed from
     * the table (then unmapped) waits for the call. The segment one (offkern_cas128) takes ADDRESS
     * arguments, so the linker keeps the segments' arenas alive for the duration of the call (closing
     * a shared arena cannot free the memory under the instruction) and FFM has bounds-checked them
     * (at least 16 bytes, checked here). Both are static finals so that the JIT can inline through
     * invokeExact. Both answer the shim's periodic safepoint poll request (see SListShim: a loop of
     * critical downcalls has no safepoint poll of its own).
     */

    private static final FunctionDescriptor RAW_DESCRIPTOR = FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG);
    private static final int E_FAULT = -5;
    private static final FunctionDescriptor SEGMENT_DESCRIPTOR = FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.ADDRESS);

    private static final MethodHandle CAS_RAW = NativeShim.downcallOrNull("offkern_cas128_mapped", RAW_DESCRIPTOR,
            Linker.Option.critical(false));
    private static final MethodHandle CAS_SEGMENT = NativeShim.downcallOrNull("offkern_cas128", SEGMENT_DESCRIPTOR,
            Linker.Option.critical(false));

    /** Whether the shim loaded and the CPU has cmpxchg16b; folded to a constant by the JIT. */
    private static final boolean SUPPORTED = CAS_RAW != null && Cpu.features().cx16();

    private Cas128() {
    }

    /** Whether 128-bit CAS works here: the shim is loaded and the CPU has cmpxchg16b. */
    public static boolean isSupported() {
        return SUPPORTED;
    }

    /**
     * Throws unless {@link #isSupported()}, with the reason: no shim, or no cmpxchg16b.
     *
     * @throws UnsupportedOperationException {@code "this CPU has no cmpxchg16b: ..."} or
     *                                       {@code "offkern native shim unavailable: ..."}
     */
    public static void requireSupported() {
        if (!SUPPORTED) {
            throw unsupported();
        }
    }

    static UnsupportedOperationException unsupported() {
        if (CAS_RAW == null) {
            return NativeShim.unavailable();
        }
        return new UnsupportedOperationException("this CPU has no cmpxchg16b: CPUID.01H:ECX.CX16 (bit 13) is 0 on "
                + Cpu.vendor() + " \"" + Cpu.brand() + "\"; SLIST and 128-bit CAS need it");
    }

    /**
     * Compares the 16 bytes at the start of {@code dst} with {@code (cmpLo, cmpHi)} and, if equal,
     * replaces them with {@code (newLo, newHi)}, atomically.
     *
     * <p>Cost: the FFM runtime keeps both segments' sessions alive across the downcall. For segments of a shared
     * arena ({@code Arena.ofShared()}) that takes atomic updates of the session's state, which makes the call about
     * twice as expensive as on segments of the global or an automatic arena (Zen 1: 30–33 against 15–16 ns, the
     * benchmarks' {@code Cas128SessionProbe}). Hot loops over shared-arena memory can use the raw form,
     * {@link #compareAndSwap(GranuleTable, long, long, long, long, long, long)}.
     *
     * @param dst     native, writable, 16-byte aligned, at least 16 bytes
     * @param witness native, writable, at least 16 bytes; receives the witnessed value (low qword first)
     * @return whether the swap happened
     * @throws IllegalArgumentException      if a segment is on-heap, read-only, too small, or {@code dst}
     *                                       is not 16-byte aligned (nothing is written then)
     * @throws UnsupportedOperationException if the host has no cmpxchg16b or no shim
     */
    public static boolean compareAndSwap(MemorySegment dst, long cmpLo, long cmpHi, long newLo, long newHi,
                                         MemorySegment witness) {
        check(dst, "dst");
        check(witness, "witness");
        if ((dst.address() & 15) != 0) {
            throw new IllegalArgumentException(String.format(
                    "dst 0x%x is not 16-byte aligned (cmpxchg16b requires it)", dst.address()));
        }
        if (!SUPPORTED) {
            throw unsupported();
        }
        try {
            // Full barrier (lock cmpxchg16b).
            int rc = (int) CAS_SEGMENT.invokeExact(dst, cmpLo, cmpHi, newLo, newHi, witness);
            if (rc >= 2) {
                SListShim.safepointPoll(); // the shim's periodic poll request (see SListShim)
                rc -= 2;
            }
            return rc == 1;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * The raw form for code that works with addresses: no segments, no allocation. Both addresses are
     * looked up in {@code map} inside the call, immediately before the instruction: {@code dst} must be
     * 16 mapped, 16-byte aligned bytes and {@code witnessAddress} 16 mapped bytes, or nothing happens.
     *
     * @throws IllegalArgumentException if {@code dstAddress} is not 16-byte aligned, an address is 0, or
     *                                  either range is not in {@code map} (nothing is written then)
     */
    public static boolean compareAndSwap(GranuleTable map, long dstAddress, long cmpLo, long cmpHi, long newLo,
                                         long newHi, long witnessAddress) {
        if ((dstAddress & 15) != 0 || dstAddress == 0 || witnessAddress == 0) {
            throw badRaw(dstAddress, witnessAddress);
        }
        if (!SUPPORTED) {
            throw unsupported();
        }
        int rc;
        try {
            // Full barrier (lock cmpxchg16b).
            rc = (int) CAS_RAW.invokeExact(map.handle(), dstAddress, cmpLo, cmpHi, newLo, newHi, witnessAddress);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        } finally {
            java.lang.ref.Reference.reachabilityFence(map);
        }
        if (rc >= 2) {
            SListShim.safepointPoll(); // the shim's periodic poll request (see SListShim)
            rc -= 2;
        }
        if (rc == E_FAULT) {
            throw new IllegalArgumentException(String.format(
                    "dst 0x%x (16 bytes) or witness 0x%x (16 bytes) is not in the granule table", dstAddress,
                    witnessAddress));
        }
        return rc == 1;
    }

    private static IllegalArgumentException badRaw(long dst, long witness) {
        if (dst == 0 || witness == 0) {
            return new IllegalArgumentException(dst == 0 ? "dst address is NULL" : "witness address is NULL");
        }
        return new IllegalArgumentException(String.format(
                "dst 0x%x is not 16-byte aligned (cmpxchg16b requires it)", dst));
    }

    private static void check(MemorySegment s, String name) {
        if (s == null) {
            throw new IllegalArgumentException(name + " is null");
        }
        if (!s.isNative()) {
            throw new IllegalArgumentException(name + " is a heap segment; cmpxchg16b needs native memory");
        }
        if (s.isReadOnly()) {
            throw new IllegalArgumentException(name + " is read-only");
        }
        if (s.byteSize() < 16) {
            throw new IllegalArgumentException(name + " has " + s.byteSize() + " bytes; 16 are needed");
        }
    }
}
