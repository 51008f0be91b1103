package dev.offkern.bench.probe;

import dev.offkern.ddi.Ex;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.ex.ExLookaside;
import dev.offkern.runtime.ex.ExSList;
import dev.offkern.shim.Cas128;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.function.LongSupplier;
import dev.offkern.shim.GranuleTable;

/** Min-of-N probe of the three shim/memory rows issue 7 compared (Cas128Benchmark.cas128Raw, SListPushPopBenchmark.offkernRaw, LookasideAllocFreeBenchmark.lookasideSegment 64 B), written once per API version. */
public final class ShimRowsProbe {
    static final int OPS = 20_000;
    static final int ROUNDS = Integer.getInteger("probe.rounds", 2000);
    static long lo;

    public static void main(String[] args) {
        try (Kernel kernel = Kernel.boot()) {
            kernel.attach();
            Arena arena = Arena.ofShared();
            MemorySegment memory = arena.allocate(4 << 20, 4096);
            kernel.addressSpace().register(memory, "probe");
            long dst = memory.address() + 64, witness = memory.address() + 128;
            GranuleTable map = new GranuleTable(); map.insert(dst, 16); map.insert(witness, 16); dev.offkern.runtime.mm.AddressSpace space = kernel.addressSpace();
            long header = memory.address() + 1024, entry = memory.address() + 4096;
            Ex.InitializeSListHead(memory.asSlice(1024, 16));
            MemorySegment list = memory.asSlice(8192, ExLookaside.LOOKASIDE_LIST_EX_SIZE);
            int st = Ex.ExInitializeLookasideListEx(list, null, null, dev.offkern.nt.PoolType.NonPagedPool, 0, 64, 0x626f7250, 0);
            if (st != 0) throw new IllegalStateException("lookaside " + st);
            dev.offkern.runtime.ex.LookasideRegistry lists = kernel.lookasideLists();
            run("cas128Raw (one 16-byte CAS, raw addresses)", () -> { long s = 0; for (int i = 0; i < OPS; i++) { s += Cas128.compareAndSwap(map, dst, lo, 7, lo + 1, 7, witness) ? 1 : 0; lo++; } return s; });
            run("SLIST raw push+pop", () -> { long s = 0; for (int i = 0; i < OPS; i++) { ExSList.push(space, header, entry); s += ExSList.pop(space, header); } return s; });
            run("lookaside trusted (segment) alloc+free 64", () -> { long s = 0; for (int i = 0; i < OPS; i++) { long b = ExLookaside.allocate(lists, list); ExLookaside.free(lists, list, b); s += b; } return s; });
        }
    }

    static void run(String name, LongSupplier body) {
        double best = Double.MAX_VALUE; long sink = 0;
        for (int r = 0; r < ROUNDS; r++) { long t0 = System.nanoTime(); sink += body.getAsLong(); best = Math.min(best, (System.nanoTime() - t0) / (double) OPS); }
        System.out.printf(Locale.ROOT, "%-48s %7.2f ns/op  (sink %d)%n", name, best, sink & 1);
    }
}
