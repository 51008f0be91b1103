import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.pool.ThreadPools;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import java.lang.foreign.MemorySegment;

public class Abl {
    static final int OPS = 20000, TAG = PoolTags.tag("Prob");
    static final long F = PoolFlags.POOL_FLAG_NON_PAGED | PoolFlags.POOL_FLAG_UNINITIALIZED;
    static ThreadPools REC;
    static ThreadState STATE;
    static final ThreadLocal<ThreadPools> TL = new ThreadLocal<>();
    public static void main(String[] a) {
        try (Kernel k = Kernel.boot()) {
            k.attach();
            REC = Kernel.callerPools(); STATE = ThreadState.current(); TL.set(REC);
            for (int rep = 0; rep < 2; rep++) {
                run("static record", Abl::vStatic);
                run("static state -> record", Abl::vState);
                run("ThreadLocal<record>", Abl::vTl);
                run("tid table -> record", Abl::vTid);
                run("callerPools (DDI path)", Abl::vDdi);
                run("ExAllocatePool2 facade", Abl::vFacade);
            }
        }
    }
    interface L { long run(); }
    static void run(String n, L l) {
        double best = 1e9; long sink = 0;
        for (int r = 0; r < 1000; r++) { long t0 = System.nanoTime(); sink += l.run(); best = Math.min(best, (System.nanoTime() - t0) / (double) OPS); }
        System.out.printf("%-30s %7.2f ns/pair (%d)%n", n, best, sink & 1);
    }
    record E(Thread owner, ThreadPools rec) {}
    static final E[] TAB = new E[1024];
    static ThreadPools byTid() {
        Thread t = Thread.currentThread();
        E e = TAB[(int) t.threadId() & 1023];
        if (e != null && e.owner() == t) return e.rec();
        return slow(t);
    }
    static ThreadPools slow(Thread t) { E e = new E(t, Kernel.callerPools()); TAB[(int) t.threadId() & 1023] = e; return e.rec(); }
    static long vTid() { long s = 0; for (int i = 0; i < OPS; i++) { MemorySegment p = byTid().allocatePool2(F, 64, TAG); byTid().free(p.address(), TAG); s += p.address(); } return s; }
    static long vStatic() { long s = 0; for (int i = 0; i < OPS; i++) { MemorySegment p = REC.allocatePool2(F, 64, TAG); REC.free(p.address(), TAG); s += p.address(); } return s; }
    static long vState() { long s = 0; for (int i = 0; i < OPS; i++) { MemorySegment p = ((ThreadPools) STATE.pools()).allocatePool2(F, 64, TAG); ((ThreadPools) STATE.pools()).free(p.address(), TAG); s += p.address(); } return s; }
    static long vTl() { long s = 0; for (int i = 0; i < OPS; i++) { MemorySegment p = TL.get().allocatePool2(F, 64, TAG); TL.get().free(p.address(), TAG); s += p.address(); } return s; }
    static long vDdi() { long s = 0; for (int i = 0; i < OPS; i++) { MemorySegment p = Kernel.callerPools().allocatePool2(F, 64, TAG); Kernel.callerPools().free(p.address(), TAG); s += p.address(); } return s; }
    static long vFacade() { long s = 0; for (int i = 0; i < OPS; i++) { MemorySegment p = dev.offkern.ddi.Ex.ExAllocatePool2(F, 64, TAG); dev.offkern.ddi.Ex.ExFreePoolWithTag(p, TAG); s += p.address(); } return s; }
}
