package dev.offkern.runtime.ke;

import dev.offkern.layout.ke.KSEMAPHORE;
import dev.offkern.runtime.mm.LiveMemory;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.NtStatusException;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Kernel semaphores ({@code KSEMAPHORE}: DISPATCHER_HEADER + {@code LONG Limit} @0x18, 0x20 bytes
 * on x64): {@code KeInitializeSemaphore}, {@code KeReleaseSemaphore}, {@code KeReadStateSemaphore}.
 *
 * <h2>State</h2>
 * Header.Type = SemaphoreObject (5), Size = 8 (0x20 / 4), SignalState = the count (signalled
 * while &gt; 0), Limit = the maximum count. Each satisfied wait decrements the count by one; a
 * release of N satisfies up to N waiters, in wait-list order.
 *
 * <h2>Which calls may run concurrently</h2>
 * Every routine on one semaphore may run concurrently with every other on it, from any threads,
 * except KeInitializeSemaphore, which must complete before any other call and must not run while the
 * structure is in use (as on Windows).
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>KeInitializeSemaphore: Limit &gt; 0 and 0 ≤ Count ≤ Limit (IllegalArgumentException
 *       otherwise: the documented preconditions). IRQL: any.</li>
 *   <li>KeReleaseSemaphore(Semaphore, Increment, Adjustment, Wait): count += Adjustment; returns
 *       the previous count. If the new count would exceed Limit, or Adjustment is negative or
 *       overflows (ReactOS's test: {@code Limit < New || Old > New}), raises
 *       {@link NtStatusException} STATUS_SEMAPHORE_LIMIT_EXCEEDED and changes nothing, as Windows
 *       raises it with ExRaiseStatus. Increment and Wait: as KeSetEvent. IRQL ≤ DISPATCH_LEVEL
 *       (verifier: 0xD1).</li>
 *   <li>KeReadStateSemaphore: the count (volatile read). IRQL: any.</li>
 * </ul>
 * Validate before mutate: as KeSetEvent, a release that will wake waiters checks the semaphore's
 * address and its whole wait list before it changes the count.
 * Progress: blocking (the dispatcher lock); KeReadStateSemaphore wait-free.
 */
public final class KeSemaphore {
    private KeSemaphore() {
    }

    /** {@code KeInitializeSemaphore(Semaphore, Count, Limit)}. */
    public static void initialize(MemorySegment semaphore, int count, int limit) {
        check(semaphore, "KeInitializeSemaphore");
        if (limit <= 0 || count < 0 || count > limit) {
            throw new IllegalArgumentException("KeInitializeSemaphore: need Limit > 0 and 0 <= Count <= Limit, got Count "
                    + count + ", Limit " + limit);
        }
        long limitEnd = KSEMAPHORE.LIMIT_OFFSET + Integer.BYTES;
        semaphore.asSlice(limitEnd, KSEMAPHORE.LAYOUT.byteSize() - limitEnd).fill((byte) 0); // x64 tail padding of KSEMAPHORE
        semaphore.set(ValueLayout.JAVA_INT, KSEMAPHORE.LIMIT_OFFSET, limit);
        KeEvent.initializeHeader(semaphore, Dispatcher.SEMAPHORE_OBJECT, (int) (KSEMAPHORE.LAYOUT.byteSize() / Integer.BYTES), count);
    }

    /** {@code KeReleaseSemaphore(Semaphore, Increment, Adjustment, Wait)}: returns the previous count. */
    public static int release(MemorySegment semaphore, int increment, int adjustment, boolean waitNext) {
        LiveMemory.require(semaphore, "KeReleaseSemaphore", "Semaphore"); // always: a closed kernel's semaphore says so
        if (Verifier.ENABLED) {
            check(semaphore, "KeReleaseSemaphore");
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, semaphore.address(), IrqlChecks.WRITE, "KeReleaseSemaphore");
        }
        KernelCore k = ThreadState.current().kernel();
        int prev;
        Dispatcher.lock();
        try {
            prev = Dispatcher.signalState(semaphore, 0);
            int limit = semaphore.get(ValueLayout.JAVA_INT, KSEMAPHORE.LIMIT_OFFSET);
            long next = (long) prev + adjustment;
            if (next > limit || next < prev) {
                prev = Integer.MIN_VALUE; // report outside the lock
            } else {
                boolean wake = next > 0 && !Dispatcher.waitListEmpty(semaphore);
                if (wake) {
                    Dispatcher.checkWaitList(k, semaphore.address()); // every pointer the wake follows, before any change
                }
                Dispatcher.setSignalState(semaphore, 0, (int) next);
                if (wake) {
                    Dispatcher.wakeWaiters(k, semaphore.address());
                }
            }
        } finally {
            Dispatcher.unlock();
        }
        if (prev == Integer.MIN_VALUE) {
            throw new NtStatusException(NtStatus.STATUS_SEMAPHORE_LIMIT_EXCEEDED, "KeReleaseSemaphore: count "
                    + Dispatcher.signalState(semaphore, 0) + " + Adjustment " + adjustment + " exceeds Limit "
                    + semaphore.get(ValueLayout.JAVA_INT, KSEMAPHORE.LIMIT_OFFSET) + " (or Adjustment is negative)");
        }
        return prev;
    }

    /** {@code KeReadStateSemaphore(Semaphore)}: the current count. */
    public static int readState(MemorySegment semaphore) {
        LiveMemory.require(semaphore, "KeReadStateSemaphore", "Semaphore"); // always: a closed kernel's semaphore says so
        if (Verifier.ENABLED) {
            check(semaphore, "KeReadStateSemaphore");
        }
        return Dispatcher.signalState(semaphore, 0);
    }

    private static void check(MemorySegment object, String routine) {
        LiveMemory.require(object, routine, "Semaphore");
        if (object == null || !object.isNative() || object.address() == 0 || object.byteSize() < KSEMAPHORE.LAYOUT.byteSize()
                || !KSEMAPHORE.X64.isAligned(object.address())) {
            throw new IllegalArgumentException(routine + ": a KSEMAPHORE must be an 8-byte aligned native segment of 0x20 bytes or more, not "
                    + object);
        }
    }
}
