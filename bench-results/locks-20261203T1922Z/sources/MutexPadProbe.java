package dev.offkern.bench.probe;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Ke;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/** LockPathProbe's two mutex loops with the mutexes at several page offsets (probe.pad blocks of 64 bytes before them). */
public final class MutexPadProbe {
    private static long counter;

    public static void main(String[] args) {
        int pad = Integer.getInteger("probe.pad", 0);
        try (Kernel kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withVerifier(false))) {
            kernel.attach();
            for (int i = 0; i < pad; i++) {
                kernel.nonPagedPool().allocate(64, 64);
            }
            MemorySegment fast = kernel.nonPagedPool().allocate(64, 64);
            MemorySegment guarded = kernel.nonPagedPool().allocate(64, 64);
            Ex.ExInitializeFastMutex(fast);
            Ke.KeInitializeGuardedMutex(guarded);
            System.out.printf("pad %d fast@%x guarded@%x kthread@%x%n", pad, fast.address() & 0xFFF, guarded.address() & 0xFFF,
                    Ke.KeGetCurrentThread().address() & 0xFFF);
            List<ProbeCase> cases = new ArrayList<>();
            cases.add(new ProbeCase("ExAcquireFastMutex+ExReleaseFastMutex", () -> loopFast(fast)));
            cases.add(new ProbeCase("KeAcquireGuardedMutex+KeReleaseGuardedMutex", () -> loopGuarded(guarded)));
            ProbeCase.runAll(cases, "");
        }
    }

    private static long loopFast(MemorySegment mutex) {
        long s = 0;
        for (int i = 0; i < ProbeCase.OPS; i++) {
            Ex.ExAcquireFastMutex(mutex);
            s += ++counter;
            Ex.ExReleaseFastMutex(mutex);
        }
        return s;
    }

    private static long loopGuarded(MemorySegment mutex) {
        long s = 0;
        for (int i = 0; i < ProbeCase.OPS; i++) {
            Ke.KeAcquireGuardedMutex(mutex);
            s += ++counter;
            Ke.KeReleaseGuardedMutex(mutex);
        }
        return s;
    }
}
