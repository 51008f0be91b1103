package dev.offkern.tests.fuzz;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.ddi.Ke;
import dev.offkern.nt.NtStatus;
import dev.offkern.tests.fuzz.World.Kind;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Events, semaphores and waits. Both threads wait on the shared objects (always with a finite
 * timeout of at most a few milliseconds) while the other sets, pulses, resets, releases and
 * sometimes re-initializes or scribbles them; infinite waits only on a private object a partner
 * thread signals. Hostile objects, object arrays, wait-block arrays and timeout pointers; counts
 * beyond THREAD_WAIT_OBJECTS and MAXIMUM_WAIT_OBJECTS; and the lost wake-up of issue 8 case 4 (a
 * failed KeSetEvent must not leave the event signalled with its waiter still linked).
 */
final class DispatcherOps {
    private DispatcherOps() {
    }

    static final long EVENT = 0x18;
    static final long SEMAPHORE = 0x20;
    static final int STATUS_TIMEOUT = 0x102;

    static List<Op> ops() {
        return List.of(
                Op.of("event.signal", 6, DispatcherOps::eventSignal, "KeSetEvent", "KeResetEvent", "KeClearEvent",
                        "KeReadStateEvent", "KePulseEvent"),
                Op.of("event.initialize", 1, DispatcherOps::eventInitialize, "KeInitializeEvent"),
                Op.of("semaphore.ops", 4, DispatcherOps::semaphore, "KeInitializeSemaphore", "KeReleaseSemaphore",
                        "KeReadStateSemaphore"),
                Op.of("wait.single", 6, DispatcherOps::waitSingle, "KeWaitForSingleObject"),
                Op.of("wait.multiple", 4, DispatcherOps::waitMultiple, "KeWaitForMultipleObjects"),
                Op.of("wait.delay", 1, DispatcherOps::delay, "KeDelayExecutionThread"),
                Op.of("wait.withPartner", 2, DispatcherOps::waitWithPartner, "KeInitializeEvent", "KeSetEvent",
                        "KeWaitForSingleObject", "KeInitializeSemaphore", "KeReleaseSemaphore"),
                Op.of("wait.lostWakeup", 1, DispatcherOps::lostWakeup, "KeInitializeEvent", "KeSetEvent", "KePulseEvent",
                        "KeWaitForSingleObject"),
                Op.of("wait.scribbledWhileWaited", 1, DispatcherOps::scribbledWhileWaited, "KeInitializeEvent",
                        "KeWaitForSingleObject", "KeSetEvent"));
    }

    static MemorySegment event(Ctx c, double hostile) {
        return c.arg(Kind.EVENT, EVENT, hostile);
    }

    static MemorySegment dispatcherObject(Ctx c, double hostile) {
        if (c.p(hostile)) {
            return c.hostile(Kind.EVENT, EVENT, false);
        }
        return c.p(0.6) ? c.live(Kind.EVENT) : c.live(Kind.SEMAPHORE);
    }

    /** A PLARGE_INTEGER timeout in this thread's scratch block: 0, a few ms relative, a past absolute time; or hostile. */
    static MemorySegment timeout(Ctx c) {
        if (c.p(0.1)) {
            // Hostile pointers only, never a hostile value: a far-future timeout is a legitimate
            // (near) infinite wait, and NULL (or a Java null) is an infinite wait (waitWithPartner's business).
            MemorySegment h = switch (c.n(3)) {
                case 0 -> MemorySegment.ofAddress(c.unmappedAddress());
                case 1 -> MemorySegment.ofArray(new long[1]);
                default -> c.own(Kind.BLOCK).asSlice(48, 4);
            };
            c.note("hostile timeout " + Ctx.describe(h));
            return h;
        }
        MemorySegment t = c.own(Kind.BLOCK).asSlice(48, 8);
        long v = switch (c.n(5)) {
            case 0 -> 0;
            case 1 -> 1; // absolute, long past: polls
            default -> -10_000L * (1 + c.n(3));
        };
        t.set(JAVA_LONG, 0, v);
        return t;
    }

    static void eventSignal(Ctx c) {
        MemorySegment e = event(c, 0.1);
        c.note("event " + Ctx.describe(e));
        switch (c.n(5)) {
            case 0 -> Ke.KeSetEvent(e, c.p(0.9) ? Ke.EVENT_INCREMENT : c.anyInt(), c.p(0.1));
            case 1 -> Ke.KeResetEvent(e);
            case 2 -> Ke.KeClearEvent(e);
            case 3 -> Ke.KeReadStateEvent(e);
            default -> Ke.KePulseEvent(e, Ke.IO_NO_INCREMENT, false);
        }
    }

    static void eventInitialize(Ctx c) {
        MemorySegment e = c.p(0.6) ? c.own(Kind.EVENT) : c.p(0.5) ? c.shared(Kind.EVENT) : c.hostile(Kind.EVENT, EVENT, false);
        int type = c.p(0.9) ? c.n(2) : c.anyInt();
        c.note("KeInitializeEvent(" + Ctx.describe(e) + ", " + type + ")");
        Ke.KeInitializeEvent(e, type, c.p(0.5));
    }

    static void semaphore(Ctx c) {
        MemorySegment s = c.arg(Kind.SEMAPHORE, SEMAPHORE, 0.1);
        c.note("semaphore " + Ctx.describe(s));
        switch (c.n(4)) {
            case 0 -> {
                MemorySegment target = c.p(0.7) ? c.own(Kind.SEMAPHORE) : s;
                int limit = c.p(0.8) ? 1 + c.n(10) : c.anyInt();
                int count = c.p(0.8) ? c.n(Math.max(1, limit)) : c.anyInt();
                c.note("KeInitializeSemaphore(" + count + ", " + limit + ")");
                Ke.KeInitializeSemaphore(target, count, limit);
            }
            case 1, 2 -> Ke.KeReleaseSemaphore(s, Ke.SEMAPHORE_INCREMENT, c.p(0.8) ? 1 : c.anyInt(), false);
            default -> Ke.KeReadStateSemaphore(s);
        }
    }

    static void waitSingle(Ctx c) {
        MemorySegment o = dispatcherObject(c, 0.1);
        MemorySegment t = timeout(c);
        c.note("wait " + Ctx.describe(o) + " timeout " + Ctx.describe(t));
        int st = Ke.KeWaitForSingleObject(o, Ke.Executive, c.p(0.9) ? Ke.KernelMode : c.anyInt(), c.p(0.2), t);
        if (st != NtStatus.STATUS_SUCCESS && st != STATUS_TIMEOUT && st != NtStatus.STATUS_ALERTED) {
            throw new FuzzInvariantException("KeWaitForSingleObject returned 0x" + Integer.toHexString(st));
        }
    }

    static void waitMultiple(Ctx c) {
        int count = switch (c.n(8)) {
            case 0 -> 0;
            case 1 -> 4 + c.n(61);
            case 2 -> 65;
            case 3 -> c.anyInt();
            default -> 1 + c.n(3);
        };
        int slots = Math.max(1, Math.min(count, 8));
        MemorySegment array;
        if (c.p(0.9)) {
            array = c.own(Kind.BLOCK).asSlice(64, 64);
            for (int i = 0; i < slots; i++) {
                array.set(JAVA_LONG, 8L * i, c.p(0.9) ? dispatcherObject(c, 0).address() : c.pointerValue());
            }
            if (c.p(0.1)) {
                array = array.asSlice(0, 8L * Math.max(0, slots - 1)); // shorter than Count pointers
            }
        } else {
            array = c.hostile(null, 8L * slots, false);
        }
        MemorySegment blocks;
        if (count > 3 && c.p(0.7)) {
            blocks = c.p(0.8) ? c.own(Kind.WAIT_BLOCKS) : c.hostile(null, 0x30L * slots, false);
        } else {
            blocks = c.p(0.9) ? MemorySegment.NULL : c.hostile(null, 0x30L * slots, false);
        }
        int type = c.p(0.9) ? c.n(2) : c.anyInt();
        c.note("KeWaitForMultipleObjects(" + count + ", " + Ctx.describe(array) + ", type " + type + ", blocks "
                + Ctx.describe(blocks) + ")");
        int st = Ke.KeWaitForMultipleObjects(count, array, type, Ke.Executive, Ke.KernelMode, c.p(0.2), timeout(c), blocks);
        if (!(st >= 0 && st < 64) && st != STATUS_TIMEOUT && st != NtStatus.STATUS_ALERTED) {
            throw new FuzzInvariantException("KeWaitForMultipleObjects returned 0x" + Integer.toHexString(st));
        }
    }

    static void delay(Ctx c) {
        MemorySegment t = timeout(c);
        c.note("delay " + Ctx.describe(t));
        Ke.KeDelayExecutionThread(c.p(0.9) ? Ke.KernelMode : c.anyInt(), c.p(0.3), t);
    }

    /**
     * A wait on a private object a partner thread signals after a moment. The wait is made in timed
     * slices: a partner whose signal fails (a documented bug check, e.g. 0x139 when another fuzz
     * thread's stale pointer corrupted the object's wait list) can never satisfy it, and the step's
     * outcome is then the partner's failure, not an endless wait. A slice that times out after the
     * partner ended without failing is a lost wake-up.
     */
    static void waitWithPartner(Ctx c) throws Throwable {
        boolean semaphore = c.p(0.3);
        MemorySegment o = c.own(semaphore ? Kind.SEMAPHORE : Kind.EVENT);
        if (semaphore) {
            Ke.KeInitializeSemaphore(o, 0, 1);
        } else {
            Ke.KeInitializeEvent(o, c.n(2), false);
        }
        Partner p = Partner.start(c, c.n(3), () -> {
            if (semaphore) {
                Ke.KeReleaseSemaphore(o, 1, 1, false);
            } else {
                Ke.KeSetEvent(o, 1, false);
            }
        });
        MemorySegment slice = c.own(Kind.BLOCK).asSlice(48, 8);
        try {
            for (;;) {
                slice.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, -2_000 * 10_000L); // 2 s, relative (rewritten: own memory is not immune to the other thread's stale writes)
                boolean endedBefore = p.ended(); // read before the wait: a partner that ended first has signalled already
                int st = Ke.KeWaitForSingleObject(o, Ke.Executive, Ke.KernelMode, false, slice);
                if (st == NtStatus.STATUS_SUCCESS) {
                    break;
                }
                if (st != STATUS_TIMEOUT) {
                    throw new FuzzInvariantException("a wait a partner satisfies returned 0x" + Integer.toHexString(st));
                }
                if (p.failed()) {
                    break; // its signal never came: join() classifies the partner's failure
                }
                if (endedBefore) {
                    throw new FuzzInvariantException("lost wake-up: the partner signalled without failing, and a 2 s wait after it timed out");
                }
            }
        } finally {
            p.join();
        }
    }

    /**
     * Issue 8 case 4: a partner waits (up to 5 s) on a private synchronization event; this thread
     * makes failing calls on it (a segment too short, a hostile increment), then sets it properly.
     * The failing calls must leave the event unsignalled (the set must see previous state 0), and
     * the set must wake the waiter: a waiter that timed out while the set consumed the signal (the
     * event reset, so the set satisfied some wait, and not this one) is a lost wake-up. A waiter
     * whose 5 s timeout expired before the set reached the dispatcher (the whole JVM stalled that
     * long) leaves the signal in the event: that is a timeout, not a lost wake-up.
     */
    static void lostWakeup(Ctx c) throws Throwable {
        MemorySegment e = c.own(Kind.EVENT);
        Ke.KeInitializeEvent(e, Ke.SynchronizationEvent, false);
        MemorySegment t = c.own(Kind.BLOCK).asSlice(56, 8);
        t.set(JAVA_LONG, 0, -50_000_000L); // 5 s
        int[] status = {-1};
        long start = System.nanoTime();
        long[] waitSpan = new long[2]; // the waiter's wait began / ended, ns after start (diagnostics for the finding)
        Partner waiter = Partner.start(c, 0, () -> {
            waitSpan[0] = System.nanoTime() - start;
            status[0] = Ke.KeWaitForSingleObject(e, Ke.Executive, Ke.KernelMode, false, t);
            waitSpan[1] = System.nanoTime() - start;
        });
        Thread.sleep(2);
        int previous;
        long setAt;
        try {
            c.tolerate(x -> Ke.KeSetEvent(e.asSlice(0, 8), 1, false));
            c.tolerate(x -> Ke.KePulseEvent(e.asSlice(0, 16), 1, false));
            c.tolerate(x -> Ke.KeSetEvent(c.hostile(Kind.EVENT, EVENT, false), 1, false));
        } finally {
            setAt = System.nanoTime() - start;
            previous = Ke.KeSetEvent(e, 1, false);
            waiter.join();
        }
        if (previous != 0) {
            throw new FuzzInvariantException("a refused KeSetEvent/KePulseEvent left the event signalled (KeSetEvent"
                    + " returned previous state " + previous + ")");
        }
        if (status[0] == STATUS_TIMEOUT) {
            int state = Ke.KeReadStateEvent(e);
            if (state == 0) {
                throw new FuzzInvariantException("lost wake-up: KeSetEvent satisfied a wait on the synchronization event,"
                        + " but its only waiter timed out (event 0x" + Long.toHexString(e.address()) + "; ms after the op began:"
                        + " wait began " + waitSpan[0] / 1_000_000 + ", final KeSetEvent " + setAt / 1_000_000 + ", wait ended "
                        + waitSpan[1] / 1_000_000 + ", state read " + (System.nanoTime() - start) / 1_000_000 + ")");
            }
            c.note("the waiter's 5 s timeout expired before KeSetEvent reached the dispatcher (state " + state + ")");
        }
    }

    /** A partner waits (a few ms) on a private event while this thread scribbles its wait list, then sets it. */
    static void scribbledWhileWaited(Ctx c) throws Throwable {
        MemorySegment e = c.own(Kind.EVENT);
        Ke.KeInitializeEvent(e, Ke.NotificationEvent, false);
        c.after.add(x -> Ke.KeInitializeEvent(e, Ke.NotificationEvent, false));
        MemorySegment t = c.own(Kind.BLOCK).asSlice(56, 8);
        t.set(JAVA_LONG, 0, -10_000L * (1 + c.n(5)));
        Partner waiter = Partner.start(c, 0, () -> Ke.KeWaitForSingleObject(e, Ke.Executive, Ke.KernelMode, false, t));
        Thread.sleep(c.n(2));
        boolean withheld = KnownFindings.withholding(KnownFindings.WAIT_LIST_CORRUPTION_UNDER_HALT) != null
                && c.w.kernel.config().bugCheckPolicy() == dev.offkern.nt.BugCheckPolicy.HALT;
        try {
            if (!withheld) {
                c.scribble(e);
            }
            Ke.KeSetEvent(e, 1, false);
        } finally {
            waiter.join();
        }
    }
}
