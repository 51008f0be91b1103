package dev.offkern.runtime.ke;

import static dev.offkern.ddi.Ke.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.nt.NtStatusException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Events, semaphores and zero-timeout waits (single and multiple, WaitAny and WaitAll) against a
 * reference model: random sequences of set/reset/clear/pulse/release/poll on two events of random
 * types, a synchronization event and a semaphore with a random limit. After every call the return
 * value and every object's SignalState must match the model, and every wait list must be empty.
 */
class KeWaitModelPropertyTest {
    private static final int OPERATIONS = 60;
    private static Kernel kernel;

    @BeforeContainer
    static void boot() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(1)
                .withDumpDirectory(java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "offkern-test-dumps")))
                .leakReportSink(s -> { });
    }

    @AfterContainer
    static void close() {
        kernel.close();
    }

    /** Model of one object: its type code and signal state. */
    private static final class Obj {
        final MemorySegment seg;
        final int type;
        final int limit;
        int state;

        Obj(MemorySegment seg, int type, int limit, int state) {
            this.seg = seg;
            this.type = type;
            this.limit = limit;
            this.state = state;
        }

        boolean isEvent() {
            return type <= 1;
        }

        void satisfy() {
            if (type == 1) {
                state = 0;
            } else if (type == 5) {
                state--;
            }
        }
    }

    @Property(tries = 150)
    void dispatcherObjectsShouldMatchTheReferenceModel(@ForAll long seed) {
        Random r = new Random(seed);
        List<Obj> objs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int type = i == 2 ? 1 : r.nextInt(2);
            boolean state = r.nextBoolean();
            MemorySegment seg = kernel.nonPagedPool().allocate(0x18, 16);
            KeInitializeEvent(seg, type, state);
            objs.add(new Obj(seg, type, 0, state ? 1 : 0));
        }
        int limit = 1 + r.nextInt(5);
        int count = r.nextInt(limit + 1);
        MemorySegment sem = kernel.nonPagedPool().allocate(0x20, 16);
        KeInitializeSemaphore(sem, count, limit);
        objs.add(new Obj(sem, 5, limit, count));
        MemorySegment array = kernel.nonPagedPool().allocate(8 * 4, 16);
        MemorySegment poll = MemorySegment.ofArray(new long[] {0});
        List<String> trace = new ArrayList<>();
        try {
            for (int op = 0; op < OPERATIONS; op++) {
                int which = r.nextInt(7);
                Obj o = objs.get(r.nextInt(4));
                switch (which) {
                    case 0 -> { // set / release
                        if (o.isEvent()) {
                            trace.add("KeSetEvent " + objs.indexOf(o));
                            assertEquals(o.state, KeSetEvent(o.seg, 0, false), String.join("; ", trace));
                            o.state = 1;
                        } else {
                            int adj = r.nextInt(5) - 1;
                            trace.add("KeReleaseSemaphore " + adj);
                            if (adj < 0 || o.state + adj > o.limit) {
                                NtStatusException e = assertThrows(NtStatusException.class, () -> KeReleaseSemaphore(o.seg, 0, adj, false));
                                assertEquals(NtStatus.STATUS_SEMAPHORE_LIMIT_EXCEEDED, e.status());
                            } else {
                                assertEquals(o.state, KeReleaseSemaphore(o.seg, 0, adj, false), String.join("; ", trace));
                                o.state += adj;
                            }
                        }
                    }
                    case 1 -> {
                        if (o.isEvent()) {
                            trace.add("KeResetEvent " + objs.indexOf(o));
                            assertEquals(o.state, KeResetEvent(o.seg));
                            o.state = 0;
                        }
                    }
                    case 2 -> {
                        if (o.isEvent()) {
                            trace.add("KePulseEvent " + objs.indexOf(o));
                            assertEquals(o.state, KePulseEvent(o.seg, 0, false));
                            o.state = 0;
                        } else {
                            trace.add("KeClearEvent skipped");
                        }
                    }
                    case 3 -> { // single poll
                        trace.add("poll " + objs.indexOf(o));
                        int expected = o.state > 0 ? NtStatus.STATUS_SUCCESS : NtStatus.STATUS_TIMEOUT;
                        assertEquals(expected, KeWaitForSingleObject(o.seg, Executive, KernelMode, false, poll), String.join("; ", trace));
                        if (o.state > 0) {
                            o.satisfy();
                        }
                    }
                    default -> { // multiple poll
                        List<Obj> shuffled = new ArrayList<>(objs);
                        Collections.shuffle(shuffled, r);
                        int n = 1 + r.nextInt(3); // without a WaitBlockArray: at most THREAD_WAIT_OBJECTS
                        boolean all = which == 6;
                        for (int i = 0; i < n; i++) {
                            array.set(ValueLayout.JAVA_LONG, 8L * i, shuffled.get(i).seg.address());
                        }
                        trace.add((all ? "WaitAll " : "WaitAny ") + shuffled.subList(0, n).stream().map(objs::indexOf).toList());
                        int expected = NtStatus.STATUS_TIMEOUT;
                        if (all) {
                            boolean ready = true;
                            for (int i = 0; i < n; i++) {
                                ready &= shuffled.get(i).state > 0;
                            }
                            if (ready) {
                                expected = NtStatus.STATUS_WAIT_0;
                                for (int i = 0; i < n; i++) {
                                    shuffled.get(i).satisfy();
                                }
                            }
                        } else {
                            for (int i = 0; i < n; i++) {
                                if (shuffled.get(i).state > 0) {
                                    expected = NtStatus.STATUS_WAIT_0 + i;
                                    shuffled.get(i).satisfy();
                                    break;
                                }
                            }
                        }
                        assertEquals(expected, KeWaitForMultipleObjects(n, array, all ? WaitAll : WaitAny, Executive, KernelMode,
                                false, poll, MemorySegment.NULL), String.join("; ", trace));
                    }
                }
                for (Obj x : objs) {
                    int actual = x.isEvent() ? KeReadStateEvent(x.seg) : KeReadStateSemaphore(x.seg);
                    assertEquals(x.state, actual, "object " + objs.indexOf(x) + " after " + String.join("; ", trace));
                    assertEquals(x.seg.address() + 8, x.seg.get(ValueLayout.JAVA_LONG, 8), "wait list not empty");
                }
            }
        } finally {
            for (Obj x : objs) {
                kernel.nonPagedPool().free(x.seg.address(), dev.offkern.runtime.pool.Pool.SEGMENT_ALLOCATOR_TAG);
            }
            kernel.nonPagedPool().free(array.address(), dev.offkern.runtime.pool.Pool.SEGMENT_ALLOCATOR_TAG);
        }
    }
}
