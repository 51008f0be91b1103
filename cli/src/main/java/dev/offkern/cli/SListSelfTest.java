package dev.offkern.cli;

import dev.offkern.shim.GranuleTable;
import dev.offkern.shim.SListShim;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The live 128-bit CAS self-test behind {@code offkern probe}: two threads hammer one x64
 * SLIST_HEADER through {@link SListShim} (every operation a {@code lock cmpxchg16b} loop), then an
 * audit checks conservation.
 *
 * <p>Each thread pops entries into a private hand (up to {@value #HAND} entries) and pushes them back,
 * alternating. A popped entry's second qword records its owner; finding a non-zero owner on pop means
 * the entry was handed out twice. The audit at the end walks the list and the hands: every entry must
 * appear exactly once, Depth must equal the list's length, and Sequence must equal the number of
 * pushes (Windows x64 advances it on push only).
 */
final class SListSelfTest {
    static final int HAND = 4;
    private static final ValueLayout.OfLong Q = ValueLayout.JAVA_LONG;

    /** Outcome: throughput and the audit's findings (empty = PASS). */
    record Result(long operations, long nanos, int onList, int held, int depth, long sequence, long pushes,
                  List<String> problems) {
        boolean passed() {
            return problems.isEmpty();
        }

        double opsPerSecond() {
            return operations * 1e9 / Math.max(1, nanos);
        }
    }

    private SListSelfTest() {
    }

    static Result run(long operations, int entryCount) throws InterruptedException {
        try (Arena arena = Arena.ofShared(); GranuleTable map = new GranuleTable()) { // map closes first
            MemorySegment header = arena.allocate(16, 16);
            MemorySegment entries = arena.allocate(16L * entryCount, 16);
            map.insert(header.address(), header.byteSize()); // the shim dereferences only what the map holds
            map.insert(entries.address(), entries.byteSize());
            long h = header.address();
            for (int i = 0; i < entryCount; i++) {
                SListShim.push(map, h, entries.address() + 16L * i);
            }
            long perThread = operations / 2;
            CyclicBarrier start = new CyclicBarrier(2);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long[][] hands = new long[2][];
            long[] pushes = new long[2];
            Thread[] threads = new Thread[2];
            for (int t = 0; t < 2; t++) {
                int id = t;
                threads[t] = new Thread(() -> {
                    long[] hand = new long[HAND];
                    int n = 0;
                    try {
                        start.await();
                        for (long op = 0; op < perThread; op++) {
                            if (n == 0 || n < HAND && (op & 1) == 0) {
                                long e = SListShim.pop(map, h);
                                if (SListShim.isFault(e)) {
                                    throw new IllegalStateException(String.format(
                                            "pop found an entry outside the test's memory: fault %d at 0x%x",
                                            SListShim.faultCode(e), SListShim.faultAddress(e)));
                                }
                                if (e != 0) {
                                    long off = e - entries.address();
                                    if (off < 0 || off >= entries.byteSize() || (off & 15) != 0) {
                                        throw new IllegalStateException(String.format(
                                                "pop returned 0x%x, which is not one of the test's entries", e));
                                    }
                                    long owner = entries.get(Q, off + 8);
                                    if (owner != 0) {
                                        throw new IllegalStateException(String.format(
                                                "entry 0x%x popped while thread %d still owned it", e, owner - 1));
                                    }
                                    entries.set(Q, off + 8, id + 1);
                                    hand[n++] = e;
                                }
                            } else {
                                long e = hand[--n];
                                entries.set(Q, e - entries.address() + 8, 0);
                                SListShim.push(map, h, e);
                                pushes[id]++;
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    } finally {
                        hands[id] = Arrays.copyOf(hand, n);
                    }
                }, "offkern-probe-" + t);
            }
            long t0 = System.nanoTime();
            for (Thread t : threads) {
                t.start();
            }
            for (Thread t : threads) {
                t.join();
            }
            long nanos = System.nanoTime() - t0;
            List<String> problems = new ArrayList<>();
            if (failure.get() != null) {
                problems.add(String.valueOf(failure.get().getMessage()));
            }
            long totalPushes = entryCount + pushes[0] + pushes[1];
            return audit(header, entries, hands, totalPushes, 2 * perThread, nanos, problems);
        }
    }

    /** Checks conservation; package-private so tests can feed it a corrupted list. */
    static Result audit(MemorySegment header, MemorySegment entries, long[][] hands, long expectedPushes,
                        long operations, long nanos, List<String> problems) {
        int count = (int) (entries.byteSize() / 16);
        int[] seen = new int[count];
        int onList = 0;
        long e = header.get(Q, 8) & SListShim.NEXT_ENTRY_MASK;
        while (e != 0) {
            long off = e - entries.address();
            if (off < 0 || off >= entries.byteSize() || (off & 15) != 0) {
                problems.add(String.format("the list links to 0x%x, outside the test's entries", e));
                break;
            }
            if (++onList > count) {
                problems.add("the list is longer than the number of entries (a cycle)");
                break;
            }
            seen[(int) (off / 16)]++;
            e = entries.get(Q, off);
        }
        int held = 0;
        for (long[] hand : hands) {
            for (long x : hand) {
                seen[(int) ((x - entries.address()) / 16)]++;
                held++;
            }
        }
        for (int i = 0; i < count; i++) {
            if (seen[i] != 1) {
                problems.add("entry " + i + " accounted for " + seen[i] + " times (expected exactly once)");
            }
        }
        long alignment = header.get(Q, 0);
        int depth = (int) (alignment & SListShim.DEPTH_MASK);
        long sequence = alignment >>> SListShim.SEQUENCE_SHIFT;
        if (depth != onList) {
            problems.add("Depth is " + depth + " but the list holds " + onList + " entries");
        }
        if (sequence != expectedPushes) {
            problems.add("Sequence is " + sequence + " but " + expectedPushes + " pushes were made");
        }
        return new Result(operations, nanos, onList, held, depth, sequence, expectedPushes, List.copyOf(problems));
    }
}
