package dev.offkern.runtime.ke;

import java.lang.foreign.MemorySegment;

/**
 * The dispatcher side of a process or thread object: its DISPATCHER_HEADER (KPROCESS.Header,
 * KTHREAD.Header) is initialized unsignalled with Type ProcessObject (3) or ThreadObject (6), and
 * signalled once when the process exits or the thread terminates. It then stays signalled (as a
 * notification event: a satisfied wait changes nothing), so every current and later
 * KeWaitForSingleObject / ZwWaitForSingleObject on it returns at once.
 *
 * <p>The signal follows KeSetEvent's protocol (validate the wait list, then signal and wake under
 * the dispatcher lock); it takes the kernel explicitly, so the process manager may run it on any
 * thread (its close path, a reaper). Progress: blocking (the dispatcher lock).
 */
public final class KeExitSignal {
    private KeExitSignal() {
    }

    /**
     * Writes the header at the start of {@code object}: {@code type} ({@link Dispatcher#PROCESS_OBJECT}
     * or {@link Dispatcher#THREAD_OBJECT}), Size = {@code kernelPartBytes / 4} truncated to its byte
     * (as Windows' KeInitializeProcess/KeInitializeThread store it), SignalState 0, an empty wait list.
     */
    public static void initialize(MemorySegment object, int type, long kernelPartBytes) {
        if (type != Dispatcher.PROCESS_OBJECT && type != Dispatcher.THREAD_OBJECT) {
            throw new IllegalArgumentException("KeExitSignal: type " + type + " is neither ProcessObject (3) nor ThreadObject (6)");
        }
        KeEvent.initializeHeader(object, type, (int) ((kernelPartBytes / Integer.BYTES) & 0xFF), 0);
    }

    /** Signals the object at the start of {@code object} (idempotent) and wakes its waiters; the kernel is {@code k}. */
    public static void signal(KernelCore k, MemorySegment object) {
        Dispatcher.lock();
        try {
            if (Dispatcher.signalState(object, 0) == 0) {
                boolean waiters = !Dispatcher.waitListEmpty(object, 0);
                if (waiters) {
                    Dispatcher.checkWaitList(k, object.address()); // every pointer the wake follows, before any change
                }
                Dispatcher.setSignalState(object, 0, 1); // volatile write under the lock: lock-free readers see it at once
                if (waiters) {
                    Dispatcher.wakeWaiters(k, object.address());
                }
            }
        } finally {
            Dispatcher.unlock();
        }
    }

    /** Whether the object has been signalled (exited / terminated); a volatile read. */
    public static boolean isSignalled(MemorySegment object) {
        return Dispatcher.signalState(object, 0) != 0;
    }
}
