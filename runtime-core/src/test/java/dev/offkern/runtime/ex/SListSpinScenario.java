package dev.offkern.runtime.ex;

import dev.offkern.nt.PoolFlags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.mm.AddressSpace;
import java.lang.foreign.Arena;

/**
 * A thread spinning on {@code pop} of an empty SLIST (compiled by C2 first) while the main thread
 * needs safepoints and handshakes: three GCs and the close of a shared arena, then the close of the
 * kernel. Run as a program in a child JVM by {@link ExSListSpinTest}; prints {@code OK} and exits 0,
 * or hangs (HotSpot drops the safepoint poll of a loop of critical downcalls unless the shim asks for
 * one: see SListShim).
 */
final class SListSpinScenario {
    private static final int TAG = 'S' | 'p' << 8 | 'i' << 16 | 'n' << 24;

    private SListSpinScenario() {
    }

    /** Pops until an entry comes, at most {@code limit} times (-1: no limit); the loop C2 compiles. */
    static long spin(AddressSpace space, long header, long limit) {
        long e;
        long n = 0;
        do {
            e = ExSList.pop(space, header);
        } while (e == 0 && n++ != limit);
        return e;
    }

    public static void main(String[] args) throws Exception {
        Kernel kernel = Kernel.boot();
        AddressSpace space = kernel.addressSpace();
        long header = kernel.nonPagedPool().allocate(16, TAG, PoolFlags.POOL_FLAG_NON_PAGED);
        ExSList.initialize(kernel.nonPagedPool().segmentOf(header));
        for (int i = 0; i < 20_000; i++) {
            spin(space, header, 100); // warm up: C2 compiles spin() as a whole method
        }
        Thread spinner = new Thread(() -> {
            try {
                spin(space, header, -1);
            } catch (IllegalStateException closed) {
                // the kernel closed under it: expected at the end
            }
        });
        spinner.setDaemon(true);
        spinner.start();
        Thread.sleep(200);
        for (int i = 0; i < 3; i++) {
            System.gc(); // a safepoint: waits for the spinner to poll
        }
        Arena.ofShared().close(); // a handshake with every thread
        kernel.close();           // handshakes again (arenas), then the spinner sees the kernel closed
        spinner.join();
        System.out.println("OK");
    }
}
