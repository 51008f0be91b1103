package dev.offkern.bench.probe;

import dev.offkern.ddi.Ex;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain-loop probe of the DDI families whose calls resolve the calling thread's kernel
 * ({@code Kernel.current()}): SLIST push+pop through {@code InterlockedPushEntrySList} /
 * {@code InterlockedPopEntrySList} with the entry kept local, lookaside alloc+free through
 * {@code ExAllocateFromLookasideListEx} / {@code ExFreeToLookasideListEx}, the pool pair, and
 * {@code Kernel.current()} twice alone. Like {@link LockPathProbe} it calls DDI names and
 * {@code Kernel} methods that 655beca already had, with the NT constants as literals (their classes
 * moved since), so the same source compiles against the 655beca benchmarks jar for an A/B run; the
 * native SLIST loop (the peer) exists only in newer jars and is skipped where missing. Fastest of
 * {@code probe.rounds} rounds, ns per pair; run with the benchmarks' JVM options, verifier off.
 */
public final class DdiLookupProbe {
    private static final int OPS = ProbeCase.OPS;
    /** POOL_FLAG_NON_PAGED. */
    private static final long NON_PAGED = 0x40L;
    /** Pool tag 'DLkp' (little-endian, as PoolTags makes it). */
    private static final int TAG = 'D' | 'L' << 8 | 'k' << 16 | 'p' << 24;

    private DdiLookupProbe() {
    }

    public static void main(String[] args) {
        String filter = args.length > 0 ? args[0] : "";
        try (Kernel kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withVerifier(false))) {
            kernel.attach();
            MemorySegment header = kernel.nonPagedPool().allocate(64, 64);
            MemorySegment entry = kernel.nonPagedPool().allocate(64, 64);
            MemorySegment lookaside = kernel.nonPagedPool().allocate(256, 64); // LOOKASIDE_LIST_EX: 0x60 bytes on x64
            Ex.InitializeSListHead(header);
            int status = Ex.ExInitializeLookasideListEx(lookaside, null, null, 0 /* NonPagedPool */, 0, 64, TAG, 0);
            if (status != 0) {
                throw new IllegalStateException("ExInitializeLookasideListEx: 0x" + Integer.toHexString(status));
            }
            List<ProbeCase> cases = new ArrayList<>();
            if (nativeLoopAvailable()) {
                cases.add(new ProbeCase("peer SLIST native C loop push+pop", () -> nativeLoop(header, entry)));
            }
            if (NATIVE_PUSH != null && NATIVE_POP != null) {
                cases.add(new ProbeCase("peer SLIST native per-call push+pop", () -> nativePerCall(header, entry)));
            }
            dev.offkern.runtime.mm.AddressSpace space = kernel.addressSpace();
            cases.add(new ProbeCase("SLIST shim push+pop (SListShim alone)", () -> loopShim(space.granules(), header.address(), entry.address())));
            cases.add(new ProbeCase("SLIST raw push+pop (shim checks)", () -> MemoryPathProbe.loopSListRaw(space, header.address(), entry.address())));
            cases.add(new ProbeCase("Kernel.current() x2", DdiLookupProbe::loopCurrent));
            cases.add(new ProbeCase("SLIST DDI push+pop (entry kept local)", () -> loopSList(header, entry)));
            cases.add(new ProbeCase("lookaside DDI alloc+free 64", () -> loopLookaside(lookaside)));
            cases.add(new ProbeCase("ExAllocatePool2+ExFreePoolWithTag 64", DdiLookupProbe::loopPool));
            ProbeCase.runAll(cases, filter);
            Ex.ExDeleteLookasideListEx(lookaside);
        }
    }

    /**
     * {@code NativeSListLoop}'s static methods, looked up reflectively so that this probe also runs against older
     * benchmarks jars (655beca's has none; {@code push}/{@code pop}, one critical downcall per operation, arrived in
     * session 25), or null where absent.
     */
    private static final java.lang.invoke.MethodHandle NATIVE_LOOP = peer("pushPop", long.class, long.class, long.class);
    private static final java.lang.invoke.MethodHandle NATIVE_PUSH = peer("push", long.class, long.class);
    private static final java.lang.invoke.MethodHandle NATIVE_POP = peer("pop", long.class);

    private static java.lang.invoke.MethodHandle peer(String name, Class<?>... parameters) {
        try {
            return java.lang.invoke.MethodHandles.publicLookup().findStatic(Class.forName("dev.offkern.bench.peers.NativeSListLoop"),
                    name, java.lang.invoke.MethodType.methodType(long.class, parameters));
        } catch (ReflectiveOperationException e) {
            return null;
        }
    }

    /** The same C push and pop as the loop, each its own critical downcall, no address check. */
    private static long nativePerCall(MemorySegment header, MemorySegment entry) {
        long h = header.address();
        long e = entry.address();
        long s = 0;
        try {
            for (int i = 0; i < OPS; i++) {
                long unused = (long) NATIVE_PUSH.invokeExact(h, e);
                s += (long) NATIVE_POP.invokeExact(h);
            }
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        return s;
    }

    /** The shim's bindings alone (SListShim: its argument checks, the critical downcall, the C checks). */
    private static long loopShim(dev.offkern.shim.GranuleTable map, long header, long entry) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            dev.offkern.shim.SListShim.push(map, header, entry);
            s += dev.offkern.shim.SListShim.pop(map, header);
        }
        return s;
    }

    private static boolean nativeLoopAvailable() {
        return NATIVE_LOOP != null;
    }

    /** One downcall of {@link #OPS} pairs in C (the call's own cost is spread over the pairs). */
    private static long nativeLoop(MemorySegment header, MemorySegment entry) {
        try {
            return (long) NATIVE_LOOP.invokeExact(header.address(), entry.address(), (long) OPS);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static long loopCurrent() {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            s += Kernel.current().hashCode();
            s += Kernel.current().hashCode();
        }
        return s;
    }

    static long loopSList(MemorySegment header, MemorySegment entry) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            Ex.InterlockedPushEntrySList(header, entry);
            s += Ex.InterlockedPopEntrySList(header).address();
        }
        return s;
    }

    static long loopLookaside(MemorySegment list) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            MemorySegment b = Ex.ExAllocateFromLookasideListEx(list);
            Ex.ExFreeToLookasideListEx(list, b);
            s += b.address();
        }
        return s;
    }

    private static long loopPool() {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            MemorySegment b = Ex.ExAllocatePool2(NON_PAGED, 64, TAG);
            Ex.ExFreePoolWithTag(b, TAG);
            s += b.address();
        }
        return s;
    }
}
