package dev.offkern.runtime.ex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every SLIST implementation shares (x64 raw, x64 DDI, x86 research header), as one
 * abstract spec reused across variants. Entries are numbered 0..ENTRIES-1; {@link #entry(int)}
 * names them in the variant's address space (an address or an offset); 0 is NULL.
 */
public abstract class SListSpec {
    protected static final int ENTRIES = 64;

    /** Makes an empty list. */
    protected abstract void init();

    protected abstract long entry(int i);

    protected abstract int indexOf(long entry);

    protected abstract long push(long entry);

    protected abstract long pop();

    protected abstract long flush();

    protected abstract long pushList(long first, long last, int count);

    protected abstract int depth();

    /** Writes the header's Depth field directly (as if after that many pushes), for the wrap-around test. */
    protected abstract void setDepth(int depth);

    protected abstract long sequence();

    protected abstract long next(long entry);

    protected abstract void link(long entry, long next);

    @Test
    void shouldReturnNullWhenPoppingAnEmptyList() {
        init();
        assertEquals(0, pop());
        assertEquals(0, depth());
    }

    @Test
    void shouldPopInLifoOrderAndTrackDepth() {
        init();
        assertEquals(0, push(entry(1)), "first push returns the previous first entry: NULL");
        assertEquals(entry(1), push(entry(2)));
        assertEquals(entry(2), push(entry(3)));
        assertEquals(3, depth());
        assertEquals(entry(3), pop());
        assertEquals(entry(2), pop());
        assertEquals(1, depth());
        assertEquals(entry(1), pop());
        assertEquals(0, pop());
        assertEquals(0, depth());
    }

    @Test
    void shouldLinkEachPushedEntryToThePreviousFirst() {
        init();
        push(entry(5));
        push(entry(6));
        assertEquals(entry(5), next(entry(6)));
        assertEquals(0, next(entry(5)));
    }

    @Test
    void shouldIncrementSequenceOnPushButNotOnPopOrFlush() {
        init();
        long s0 = sequence();
        push(entry(1));
        push(entry(2));
        assertEquals(s0 + 2, sequence());
        pop();
        assertEquals(s0 + 2, sequence());
        flush();
        assertEquals(s0 + 2, sequence());
    }

    @Test
    void shouldFlushEverythingAndReturnTheChainStillLinked() {
        init();
        for (int i = 1; i <= 5; i++) {
            push(entry(i));
        }
        long chain = flush();
        assertEquals(0, depth());
        assertEquals(0, pop());
        List<Integer> seen = new ArrayList<>();
        for (long e = chain; e != 0; e = next(e)) {
            seen.add(indexOf(e));
        }
        assertEquals(List.of(5, 4, 3, 2, 1), seen);
        assertEquals(0, flush(), "flushing an empty list returns NULL");
    }

    @Test
    void shouldPushAPrelinkedChainInOneStep() {
        init();
        push(entry(9));
        link(entry(1), entry(2));
        link(entry(2), entry(3));
        assertEquals(entry(9), pushList(entry(1), entry(3), 3));
        assertEquals(4, depth());
        assertEquals(entry(1), pop());
        assertEquals(entry(2), pop());
        assertEquals(entry(3), pop());
        assertEquals(entry(9), pop());
        assertEquals(0, pop());
    }

    @Test
    void shouldKeepDepthInsideSixteenBits() {
        init();
        // Depth 65534, as after that many pushes: a push list of two wraps it to 0 without touching
        // Sequence (Windows' USHORT Depth), and a pop from Depth 0 borrows within the 16 bits too.
        setDepth(0xFFFE);
        link(entry(1), entry(2));
        long s0 = sequence();
        pushList(entry(1), entry(2), 2);
        assertEquals(0, depth());
        assertEquals(s0 + 1, sequence());
        assertEquals(entry(1), pop());
        assertEquals(0xFFFF, depth());
        assertEquals(s0 + 1, sequence());
        push(entry(3));
        assertEquals(0, depth());
        assertEquals(s0 + 2, sequence());
    }

    /** Conservation under contention: every entry is held by at most one thread, and none is lost. */
    @Test
    void shouldConserveEntriesUnderConcurrentPushPopFlushAndPushList() throws Exception {
        init();
        for (int i = 0; i < ENTRIES; i++) {
            push(entry(i));
        }
        int threads = 3;
        int rounds = 20_000 * Integer.getInteger("offkern.stress.scale", 1);
        AtomicIntegerArray held = new AtomicIntegerArray(ENTRIES);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    long[] mine = new long[ENTRIES];
                    for (int r = 0; r < rounds && failure.get() == null; r++) {
                        int n = 0;
                        int op = rnd.nextInt(16);
                        if (op == 0) {
                            for (long e = flush(); e != 0; e = next(e)) {
                                mine[n++] = e;
                            }
                        } else {
                            int want = 1 + rnd.nextInt(3);
                            for (int k = 0; k < want; k++) {
                                long e = pop();
                                if (e != 0) {
                                    mine[n++] = e;
                                }
                            }
                        }
                        for (int k = 0; k < n; k++) {
                            int idx = indexOf(mine[k]);
                            if (!held.compareAndSet(idx, 0, 1)) {
                                throw new AssertionError("entry " + idx + " popped twice (held by two threads)");
                            }
                        }
                        for (int k = 0; k < n; k++) {
                            held.set(indexOf(mine[k]), 0);
                        }
                        if (n > 1 && rnd.nextBoolean()) {
                            for (int k = 0; k < n - 1; k++) {
                                link(mine[k], mine[k + 1]);
                            }
                            pushList(mine[0], mine[n - 1], n);
                        } else {
                            for (int k = 0; k < n; k++) {
                                push(mine[k]);
                            }
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Thread w : workers) {
            w.join();
        }
        if (failure.get() != null) {
            fail(failure.get());
        }
        // Invariant walk at quiescence: depth equals the count, each entry exactly once.
        assertEquals(ENTRIES, depth());
        boolean[] seen = new boolean[ENTRIES];
        for (long e = pop(); e != 0; e = pop()) {
            int idx = indexOf(e);
            assertTrue(!seen[idx], "entry " + idx + " twice in the list");
            seen[idx] = true;
        }
        for (int i = 0; i < ENTRIES; i++) {
            assertTrue(seen[i], "entry " + i + " lost");
        }
        assertEquals(0, depth());
    }
}
