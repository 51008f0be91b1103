package dev.offkern.runtime.ke;

import dev.offkern.layout.ke.DISPATCHER_HEADER;
import dev.offkern.layout.ke.KEVENT;
import dev.offkern.runtime.mm.LiveMemory;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Kernel events ({@code KEVENT}: a bare DISPATCHER_HEADER, 0x18 bytes on x64): the
 * {@code Ke*Event} routines over the {@link Dispatcher}.
 *
 * <h2>State</h2>
 * Header.Type = EventNotificationObject (0) or EventSynchronizationObject (1) — the EVENT_TYPE
 * value (NotificationEvent 0, SynchronizationEvent 1); Size = 6 (0x18 / 4); SignalState 0 or 1;
 * WaitListHead the waiting threads' KWAIT_BLOCKs (empty: pointing at itself).
 *
 * <h2>Which calls may run concurrently</h2>
 * Every routine on one event may run concurrently with every other on it, from any threads,
 * except KeInitializeEvent, which must complete before any other call and must not run while the
 * structure is in use (as on Windows).
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>KeSetEvent: signals; a notification event satisfies every waiter and stays signalled, a
 *       synchronization event satisfies exactly one waiter (and is reset by it) or stays signalled
 *       if none waits. Returns the previous state. {@code Increment} (priority boost) has no
 *       effect; {@code Wait} = TRUE is accepted but the dispatcher lock is released before
 *       returning (offkern does not keep it across calls), so the set and the caller's next wait
 *       are not one atomic step as they are on Windows. IRQL ≤ DISPATCH_LEVEL.</li>
 *   <li>KeResetEvent (returns the previous state) / KeClearEvent: not signalled. IRQL ≤ DISPATCH_LEVEL
 *       / any.</li>
 *   <li>KePulseEvent: signals (satisfying the waiters it can) and resets in one atomic step;
 *       returns the previous state.</li>
 *   <li>KeReadStateEvent: the current SignalState (a volatile read, no lock). IRQL any.</li>
 * </ul>
 * Verifier: IRQL above the routine's limit → DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1: the event, IRQL,
 * 1 write, 0). An event must be an 8-byte aligned native segment of 0x18 bytes or more
 * (IllegalArgumentException otherwise); events that are waited on must be in registered memory.
 *
 * <p>Validate before mutate: a signal ({@code KeSetEvent}, {@code KePulseEvent}) that will wake
 * waiters first resolves the event and checks its whole wait list ({@link Dispatcher#checkWaitList})
 * under the dispatcher lock; a bad address fails the call (0x50, or 0x139 for corrupt links) with
 * the event still unsignalled and its waiters still linked, so a later correct KeSetEvent wakes them.
 * Progress: blocking (the dispatcher lock), except KeReadStateEvent and KeSetEvent on an
 * already signalled event (wait-free).
 */
public final class KeEvent {
    /** EVENT_TYPE NotificationEvent. */
    public static final int NotificationEvent = 0;
    /** EVENT_TYPE SynchronizationEvent. */
    public static final int SynchronizationEvent = 1;

    private KeEvent() {
    }

    /** {@code KeInitializeEvent(Event, Type, State)}. IRQL: any. */
    public static void initialize(MemorySegment event, int type, boolean state) {
        LiveMemory.require(event, "KeInitializeEvent", "Event");
        check(event, "KeInitializeEvent");
        if (type != NotificationEvent && type != SynchronizationEvent) {
            throw new IllegalArgumentException("KeInitializeEvent: Type " + type
                    + " is neither NotificationEvent (0) nor SynchronizationEvent (1)");
        }
        initializeHeader(event, type, (int) (KEVENT.LAYOUT.byteSize() / Integer.BYTES), state ? 1 : 0);
    }

    /** Writes a DISPATCHER_HEADER: Type, Signalling 0, Size (in LONGs), Reserved1 0, SignalState, empty wait list. */
    static void initializeHeader(MemorySegment object, int type, int sizeInLongs, int signalState) {
        object.set(ValueLayout.JAVA_BYTE, DISPATCHER_HEADER.TYPE_OFFSET, (byte) type);
        object.set(ValueLayout.JAVA_BYTE, DISPATCHER_HEADER.SIGNALLING_OFFSET, (byte) 0);
        object.set(ValueLayout.JAVA_BYTE, DISPATCHER_HEADER.SIZE_OFFSET, (byte) sizeInLongs);
        object.set(ValueLayout.JAVA_BYTE, DISPATCHER_HEADER.RESERVED1_OFFSET, (byte) 0);
        Dispatcher.initializeWaitList(object);
        Dispatcher.setSignalState(object, 0, signalState); // volatile: publishes the initialized header
    }

    /** {@code KeSetEvent(Event, Increment, Wait)}: returns the previous state. */
    public static int set(MemorySegment event, int increment, boolean waitNext) {
        LiveMemory.require(event, "KeSetEvent", "Event"); // always: a closed kernel's event says so, verifier or not
        if (Verifier.ENABLED) {
            check(event, "KeSetEvent");
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, event.address(), IrqlChecks.WRITE, "KeSetEvent");
        }
        int prev = Dispatcher.signalState(event, 0);
        if (prev != 0) {
            return prev; // already signalled: by the dispatcher invariant no waiter can be satisfied by a re-signal
        }
        ThreadState t = ThreadState.current();
        return setLocked(t, event, false);
    }

    /** KeSetEvent's locked part (also KePulseEvent's). */
    static int setLocked(ThreadState t, MemorySegment event, boolean pulse) {
        KernelCore k = t.kernel();
        Dispatcher.lock();
        try {
            int prev = Dispatcher.signalState(event, 0);
            if (prev == 0) {
                boolean waiters = !Dispatcher.waitListEmpty(event);
                if (waiters) {
                    Dispatcher.checkWaitList(k, event.address()); // every pointer the wake follows, before any change
                }
                Dispatcher.setSignalState(event, 0, 1);
                if (waiters) {
                    Dispatcher.wakeWaiters(k, event.address());
                }
            }
            if (pulse) {
                Dispatcher.setSignalState(event, 0, 0);
            }
            return prev;
        } finally {
            Dispatcher.unlock();
        }
    }

    /**
     * Signals the synchronization event at offset {@code off} of {@code seg} (an event embedded in
     * a FAST_MUTEX, a thread's wake block), with no IRQL check and no slice allocation: KeSetEvent's
     * semantics, validated the same way. Runtime-internal.
     */
    static void setEmbedded(ThreadState t, MemorySegment seg, long off) {
        KernelCore k = t.kernel();
        Dispatcher.lock();
        try {
            if (Dispatcher.signalState(seg, off) == 0) {
                boolean waiters = !Dispatcher.waitListEmpty(seg, off);
                if (waiters) {
                    Dispatcher.checkWaitList(k, seg.address() + off); // before any change
                }
                Dispatcher.setSignalState(seg, off, 1);
                if (waiters) {
                    Dispatcher.wakeWaiters(k, seg.address() + off);
                }
            }
        } finally {
            Dispatcher.unlock();
        }
    }

    /** {@code KePulseEvent(Event, Increment, Wait)}: returns the previous state. */
    public static int pulse(MemorySegment event, int increment, boolean waitNext) {
        LiveMemory.require(event, "KePulseEvent", "Event"); // always: a closed kernel's event says so, verifier or not
        if (Verifier.ENABLED) {
            check(event, "KePulseEvent");
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, event.address(), IrqlChecks.WRITE, "KePulseEvent");
        }
        return setLocked(ThreadState.current(), event, true);
    }

    /** {@code KeResetEvent(Event)}: returns the previous state. */
    public static int reset(MemorySegment event) {
        LiveMemory.require(event, "KeResetEvent", "Event"); // always: a closed kernel's event says so, verifier or not
        if (Verifier.ENABLED) {
            check(event, "KeResetEvent");
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, event.address(), IrqlChecks.WRITE, "KeResetEvent");
        }
        Dispatcher.lock();
        try {
            int prev = Dispatcher.signalState(event, 0);
            Dispatcher.setSignalState(event, 0, 0);
            return prev;
        } finally {
            Dispatcher.unlock();
        }
    }

    /** {@code KeClearEvent(Event)}. IRQL: any. */
    public static void clear(MemorySegment event) {
        LiveMemory.require(event, "KeClearEvent", "Event"); // always: a closed kernel's event says so, verifier or not
        if (Verifier.ENABLED) {
            check(event, "KeClearEvent");
        }
        Dispatcher.lock();
        try {
            Dispatcher.setSignalState(event, 0, 0);
        } finally {
            Dispatcher.unlock();
        }
    }

    /** {@code KeReadStateEvent(Event)}: the current SignalState. IRQL: any. */
    public static int readState(MemorySegment event) {
        LiveMemory.require(event, "KeReadStateEvent", "Event"); // always: a closed kernel's event says so, verifier or not
        if (Verifier.ENABLED) {
            check(event, "KeReadStateEvent");
        }
        return Dispatcher.signalState(event, 0);
    }

    /** The verifier's shape check (callers check {@link LiveMemory#require} first; KeInitializeEvent here). */
    static void check(MemorySegment object, String routine) {
        if (object == null || !object.isNative() || object.address() == 0 || object.byteSize() < KEVENT.LAYOUT.byteSize()
                || !KEVENT.X64.isAligned(object.address())) {
            throw new IllegalArgumentException(routine + ": a KEVENT must be an 8-byte aligned native segment of 0x18 bytes or more, not "
                    + object);
        }
    }
}
