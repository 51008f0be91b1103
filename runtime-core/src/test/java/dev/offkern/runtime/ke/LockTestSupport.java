package dev.offkern.runtime.ke;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.offkern.runtime.Kernel;
import dev.offkern.nt.BugCheck;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.function.Executable;

/** Shared helpers for the lock, event and wait tests. */
public final class LockTestSupport {
    /** Stress scale ({@code -Doffkern.stress.scale=N}, default 1). */
    public static final int SCALE = Integer.getInteger("offkern.stress.scale", 1);

    private LockTestSupport() {
    }

    /** A zeroed non-paged pool block (registered memory), 16-byte aligned. */
    public static MemorySegment block(Kernel k, long size) {
        return k.nonPagedPool().allocate(size, 16);
    }

    /** Asserts {@code body} raises bug check {@code code} with exactly {@code params}. */
    public static BugCheck assertBugCheck(int code, long[] params, Executable body) {
        BugCheck bc = assertThrows(BugCheck.class, body);
        assertEquals(code, bc.code(), bc.getMessage());
        if (params != null) {
            assertArrayEquals(params, bc.parameters(), bc.getMessage());
        }
        return bc;
    }

    /** Lowers the calling thread's IRQL to PASSIVE_LEVEL and leaves any regions (test clean-up). */
    public static void resetThread() {
        ThreadState t = ThreadState.peek();
        if (t != null) {
            t.setIrql(Irql.PASSIVE_LEVEL);
            t.addKernelApcDisable(-t.kernelApcDisable());
            t.addSpecialApcDisable(-t.specialApcDisable());
        }
    }

    /** Runs {@code bodies} on their own threads, joins them all, rethrows the first failure. */
    public static void runThreads(List<Runnable> bodies) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < bodies.size(); i++) {
            Runnable r = bodies.get(i);
            Thread th = new Thread(() -> {
                try {
                    r.run();
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    resetThread();
                }
            }, "offkern-test-" + i);
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join(120_000);
            if (th.isAlive()) {
                throw new AssertionError(th.getName() + " did not finish (deadlock or lost wake-up?)");
            }
        }
        if (failure.get() != null) {
            throw new AssertionError("a worker failed: " + failure.get(), failure.get());
        }
    }

    /** {@code n} copies of {@code body}, for {@link #runThreads}. */
    public static List<Runnable> times(int n, Runnable body) {
        List<Runnable> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(body);
        }
        return l;
    }
}
