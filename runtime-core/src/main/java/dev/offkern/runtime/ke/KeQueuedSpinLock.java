package dev.offkern.runtime.ke;

import dev.offkern.layout.ke.KLOCK_QUEUE_HANDLE;
import dev.offkern.layout.ke.KSPIN_LOCK_QUEUE;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.mm.Region;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.runtime.verifier.Verifier;
import dev.offkern.runtime.verifier.VerifierCheck;
import dev.offkern.runtime.mm.LiveMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * In-stack queued spin locks: an MCS queue lock on a {@code KSPIN_LOCK} word and the caller's
 * byte-exact {@code KLOCK_QUEUE_HANDLE}s, as {@code KeAcquireInStackQueuedSpinLock} and its
 * relatives use them. Waiters are served in arrival order (FIFO) and each spins on its own
 * queue entry.
 *
 * <h2>Structures (x64)</h2>
 * <pre>
 * KLOCK_QUEUE_HANDLE (0x18)                KSPIN_LOCK (ULONG_PTR)
 * +0x00 LockQueue.Next  -> successor's     +---------------------------------------------+
 *                          KSPIN_LOCK_QUEUE | address of the LAST queued KSPIN_LOCK_QUEUE |
 * +0x08 LockQueue.Lock  =  PKSPIN_LOCK     | (0 = free)                                  |
 *                          | OWNER(2) | WAIT(1)                                          |
 * +0x10 OldIrql (KIRQL)                    +---------------------------------------------+
 * </pre>
 * {@code LockQueue.Lock} holds the spin lock's address (8-byte aligned, so bits 0-1 are free)
 * with {@link KSPIN_LOCK_QUEUE#LOCK_QUEUE_WAIT} set while the entry waits for its predecessor and
 * {@link KSPIN_LOCK_QUEUE#LOCK_QUEUE_OWNER} set while it owns the lock — Windows' encoding.
 *
 * <h2>Memory</h2>
 * Every KLOCK_QUEUE_HANDLE must lie in memory registered in the kernel's address space (pool
 * memory, or an embedder-registered "stack" area): a successor follows its predecessor's handle
 * and the hand-off follows {@code Next} as real addresses, resolved through
 * {@link AddressSpace#regionOf}; an unregistered address is PAGE_FAULT_IN_NONPAGED_AREA (0x50).
 * The KSPIN_LOCK word must be registered too if a handle may be released by a thread other than
 * the one that acquired it (the release then follows {@code Lock}).
 * A handle belongs to one acquisition at a time, as on Windows; never share one between threads.
 * The handle is resolved when the lock is acquired, before it is queued: an unregistered handle
 * fails the acquire with the lock untouched (otherwise a successor would fault half-way through
 * linking itself). The release finds the lock word through the thread's record of the locks it
 * holds (the segment passed to the acquire); a handle released by another thread falls back to
 * resolving the word's address, before the handle changes.
 *
 * <h2>Which calls may run concurrently</h2>
 * Every routine on one KSPIN_LOCK (and its handles, each owned by one acquisition) may run concurrently with every other on it, from any threads,
 * except KeInitializeSpinLock, which must complete before any other call and must not run while the
 * structure is in use (as on Windows).
 *
 * <h2>Contract</h2>
 * IRQL: KeAcquireInStackQueuedSpinLock ≤ DISPATCH_LEVEL (saves the IRQL in OldIrql, leaves the
 * caller at DISPATCH_LEVEL); KeReleaseInStackQueuedSpinLock at DISPATCH_LEVEL (lowers to
 * OldIrql); the AtDpcLevel/FromDpcLevel variants at ≥ DISPATCH_LEVEL, no IRQL change.
 * Progress: acquire blocks (spins) — starvation-free given a fair scheduler; release is
 * lock-free (it may wait for a successor that has swapped itself in to finish linking).
 * Memory consistency: a release happens-before its successor's acquire.
 *
 * <h2>Verifier</h2>
 * Acquire above DISPATCH_LEVEL: 0xC4/0x42 (derived: documented for KeAcquireSpinLock); release
 * at IRQL ≠ DISPATCH_LEVEL: 0xC4/0x36; AtDpcLevel/FromDpcLevel below DISPATCH_LEVEL: 0xC4/0x40 and
 * 0x41 (P2 IRQL, P3 the lock); acquiring a lock the thread already holds (through any handle):
 * SPIN_LOCK_ALREADY_OWNED (0x0F, P1 the lock); releasing a handle that does not own its lock:
 * SPIN_LOCK_NOT_OWNED (0x10, P1 the lock the handle names, P2 the handle).
 */
public final class KeQueuedSpinLock {
    /*
     * Implementation overview (MCS, as ReactOS's KxAcquireQueuedSpinLock/KxReleaseQueuedSpinLock).
     *
     * Acquire: Next := 0, Lock := SpinLock | OWNER (plain writes, published by the exchange);
     *   pred := XCHG(word, me)                          -- linearization point of the enqueue
     *   pred == 0: done (uncontended: the entry already says OWNER).
     *   else: Lock := SpinLock | WAIT; pred.Next := me (release store: my WAIT is visible before pred can
     *         see me); spin while my Lock has WAIT (acquire reads).
     * Release (me owns):
     *   next := my Next; if 0: CAS(word, me, 0) — success frees the lock (linearization point);
     *   failure means a successor swapped in but has not linked yet: wait until Next != 0.
     *   Then next.Lock ^= (WAIT | OWNER) (volatile RMW): the hand-off's linearization point; the
     *   successor's acquire reads pair with it. Nothing touches my handle after the hand-off.
     * FIFO: the exchange totally orders arrivals; each entry is handed the lock only by its
     *   predecessor, so acquisition order = exchange order.
     * Preemption: on Windows a waiter spins at DISPATCH_LEVEL and cannot be descheduled. Here it
     *   can (an over-committed host): the FIFO hand-off then goes to a thread that is not running
     *   and everyone behind it waits — a convoy a barging test-and-set lock does not suffer. A
     *   waiter follows the one spin policy (Backoff.spinOrYield: yield after Backoff.SPIN_LIMIT
     *   spins), which keeps the convoy short (measured on a 2-vCPU guest at load 8: ~23 us per
     *   contended acquire with yielding after 128 spins, ~1.3 ms with 16384 spins before yielding).
     * ABA: the word holds addresses of handles; a handle reused for a later acquisition is a new
     *   queue entry and the CAS(word, me, 0) can succeed only if I am still the tail, which is the
     *   MCS invariant — no sequence number is needed.
     */

    /** KLOCK_QUEUE_HANDLE.LockQueue.Next: the successor's entry (x64). */
    private static final long NEXT = KLOCK_QUEUE_HANDLE.LOCK_QUEUE_OFFSET + KSPIN_LOCK_QUEUE.NEXT_OFFSET;
    /** KLOCK_QUEUE_HANDLE.LockQueue.Lock: the lock's address with the WAIT/OWNER bits (x64). */
    private static final long LOCK = KLOCK_QUEUE_HANDLE.LOCK_QUEUE_OFFSET + KSPIN_LOCK_QUEUE.LOCK_OFFSET;
    /** The flag bits of LockQueue.Lock. */
    private static final long LOCK_FLAGS = KSPIN_LOCK_QUEUE.LOCK_QUEUE_WAIT | KSPIN_LOCK_QUEUE.LOCK_QUEUE_OWNER;
    /** Bytes of a KSPIN_LOCK_QUEUE: what a queue entry's address must resolve to. */
    private static final long ENTRY_BYTES = KSPIN_LOCK_QUEUE.LAYOUT.byteSize();
    /**
     * Yields (after the spin budget) between two checks that a waiter's hand-off can still come
     * ({@link #checkHandOff}): rare enough to cost nothing measurable, frequent enough that a broken
     * chain ends the wait within milliseconds.
     */
    private static final int CHECK_EVERY_YIELDS = 64;
    /** 0xC4 subcode: queued spin lock release at IRQL ≠ DISPATCH_LEVEL. */
    public static final int DV_RELEASE_QUEUED_SPIN_LOCK_IRQL = 0x36;

    private KeQueuedSpinLock() {
    }

    /** {@code KeAcquireInStackQueuedSpinLock(SpinLock, LockHandle)}. */
    public static void acquire(MemorySegment spinLock, MemorySegment lockHandle) {
        ThreadState t = ThreadState.current();
        check(spinLock, lockHandle, KLOCK_QUEUE_HANDLE.LAYOUT.byteSize());
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(t, Irql.DISPATCH_LEVEL, KeSpinLock.DV_ACQUIRE_SPIN_LOCK_IRQL, spinLock.address(), 0,
                    "KeAcquireInStackQueuedSpinLock");
        }
        int old = t.irql;
        acquireAtDpc(t, spinLock, lockHandle); // validates both before queueing
        lockHandle.set(ValueLayout.JAVA_BYTE, KLOCK_QUEUE_HANDLE.OLD_IRQL_OFFSET, (byte) old); // own handle: read by our release
        if (old < Irql.DISPATCH_LEVEL) {
            t.irql = Irql.DISPATCH_LEVEL;
        }
    }

    /** {@code KeAcquireInStackQueuedSpinLockAtDpcLevel(SpinLock, LockHandle)}: OldIrql is not touched. */
    public static void acquireAtDpcLevel(MemorySegment spinLock, MemorySegment lockHandle) {
        ThreadState t = ThreadState.current();
        check(spinLock, lockHandle, ENTRY_BYTES);
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtLeast(t, Irql.DISPATCH_LEVEL, KeSpinLock.DV_ACQUIRE_AT_DPC_LEVEL_IRQL, spinLock.address(), 0,
                    "KeAcquireInStackQueuedSpinLockAtDpcLevel");
        }
        acquireAtDpc(t, spinLock, lockHandle);
    }

    /** {@code KeReleaseInStackQueuedSpinLock(LockHandle)}: hands the lock on, then lowers to OldIrql. */
    public static void release(MemorySegment lockHandle) {
        ThreadState t = ThreadState.current();
        checkHandle(lockHandle, KLOCK_QUEUE_HANDLE.LAYOUT.byteSize());
        if (Verifier.ENABLED && t.verifies(VerifierCheck.IRQL)) { // the test first: P3 is a read of the handle
            IrqlChecks.requireExactly(t, Irql.DISPATCH_LEVEL, DV_RELEASE_QUEUED_SPIN_LOCK_IRQL,
                    (long) FIELD.getOpaque(lockHandle, LOCK) & ~LOCK_FLAGS, 0, "KeReleaseInStackQueuedSpinLock");
        }
        int oldIrql = lockHandle.get(ValueLayout.JAVA_BYTE, KLOCK_QUEUE_HANDLE.OLD_IRQL_OFFSET) & 0xFF;
        releaseAtDpc(t, lockHandle);
        if (Verifier.ENABLED) {
            Irql.lower(t, oldIrql); // with its verifier checks
        } else {
            Irql.lowerUnchecked(t, oldIrql); // what Irql.lower does without checks, minus a second thread-state lookup
        }
    }

    /** {@code KeReleaseInStackQueuedSpinLockFromDpcLevel(LockHandle)}: no IRQL change. */
    public static void releaseFromDpcLevel(MemorySegment lockHandle) {
        ThreadState t = ThreadState.current();
        checkHandle(lockHandle, ENTRY_BYTES);
        if (Verifier.ENABLED && t.verifies(VerifierCheck.IRQL)) { // the test first: P3 is a read of the handle
            IrqlChecks.requireAtLeast(t, Irql.DISPATCH_LEVEL, KeSpinLock.DV_RELEASE_FROM_DPC_LEVEL_IRQL,
                    (long) FIELD.getOpaque(lockHandle, LOCK) & ~LOCK_FLAGS, 0, "KeReleaseInStackQueuedSpinLockFromDpcLevel");
        }
        releaseAtDpc(t, lockHandle);
    }

    // ----- core -----

    /*
     * The hot paths and the JIT's inlining. acquireAtDpc and releaseAtDpc hold only what an uncontended
     * acquire and release run; everything else (the wait behind a predecessor, the hand-off to a successor,
     * the verifier's reports, the fault reports) is in methods of its own. Two of C2's default limits
     * decide whether a caller's loop gets the pair inlined: a callee of over FreqInlineSize (325) bytes of
     * bytecode is never inlined, and a callee already compiled on its own into over InlineSmallCode (2500)
     * bytes of machine code is not inlined afterwards. releaseAtDpc was 371 bytes of bytecode with the
     * hand-off inline and is now under the first limit. The public routines' own compiles stay over the
     * second (3.6-3.8 kB, most of it FFM's checks of each access), so a caller compiled after them keeps
     * them as calls: 35.0-35.6 ns per probe pair against 28.4-28.9 ns with -XX:InlineSmallCode=7000
     * (docs/performance.md, "The queued lock as two calls").
     */
    private static void acquireAtDpc(ThreadState t, MemorySegment spinLock, MemorySegment handle) {
        long lockAddress = spinLock.address();
        if (Verifier.ENABLED && t.verifies(VerifierCheck.LOCKS) && t.ownsLock(lockAddress)) {
            throw alreadyOwned(t, lockAddress);
        }
        long me = handle.address();
        AddressSpace as = t.kernel().addressSpace();
        // Validate before mutate: a successor follows our handle's address; it must resolve (0x50
        // otherwise) before the handle is queued.
        requireOwnEntry(t, as, me);
        FIELD.set(handle, NEXT, 0L); // plain: published by the exchange below
        // Plain, published by the exchange: OWNER, what the entry holds once the exchange finds the lock free (the
        // usual case: one store, not two). Nobody reads an entry's flags before its owner links it to a predecessor,
        // which it does only after replacing OWNER with WAIT (waitBehind); a successor's checks mask the flags.
        FIELD.set(handle, LOCK, lockAddress | KSPIN_LOCK_QUEUE.LOCK_QUEUE_OWNER);
        long pred = (long) FIELD.getAndSet(spinLock, 0L, me); // volatile XCHG: enqueue, linearization point
        if (pred != 0L) {
            waitBehind(t, as, spinLock, handle, me, lockAddress, pred);
        }
        t.pushQueuedLock(me, spinLock); // our release finds the word here, without a lookup
        if (Verifier.ENABLED && t.verifies(VerifierCheck.LOCKS)) {
            t.addOwnedLock(lockAddress);
        }
    }

    /**
     * The contended acquire: the entry at {@code me} was queued behind {@code pred}; links itself to it
     * and spins until the predecessor hands the lock on.
     */
    private static void waitBehind(ThreadState t, AddressSpace as, MemorySegment spinLock, MemorySegment handle, long me,
            long lockAddress, long pred) {
        FIELD.setVolatile(handle, LOCK, lockAddress | KSPIN_LOCK_QUEUE.LOCK_QUEUE_WAIT); // before pred can see me
        Region r;
        try {
            r = entry(t, as, pred); // the predecessor validated it before queueing
        } catch (RuntimeException corrupt) {
            // A scribbled lock word: never linked, never to be handed the lock. Put the word back as the caller
            // left it (if we are still the tail), so that later acquirers are refused the same way.
            throw leaveQueue(spinLock, handle, me, pred, corrupt);
        }
        long predNext = r.offsetOf(pred) + KSPIN_LOCK_QUEUE.NEXT_OFFSET;
        FIELD.setRelease(r.segment(), predNext, me); // release: pred.Next := me after my WAIT is set
        int round = 0;
        int yields = 0;
        // acquire reads: pair with the predecessor's hand-off RMW
        while (((long) FIELD.getAcquire(handle, LOCK) & KSPIN_LOCK_QUEUE.LOCK_QUEUE_WAIT) != 0) {
            round = Backoff.spinOrYield(round);
            if (round == Backoff.SPIN_LIMIT && ++yields % CHECK_EVERY_YIELDS == 0) {
                checkHandOff(t, spinLock, handle, me, lockAddress, pred, r, predNext);
            }
        }
    }

    private static RuntimeException alreadyOwned(ThreadState t, long lockAddress) {
        return t.kernel().bugCheck(BugCheckCode.SPIN_LOCK_ALREADY_OWNED, lockAddress, 0, 0, 0,
                "recursive acquisition of the queued spin lock at 0x" + Long.toHexString(lockAddress));
    }

    private static void releaseAtDpc(ThreadState t, MemorySegment handle) {
        long lockField = (long) FIELD.getOpaque(handle, LOCK); // own entry: only this thread writes it while owner
        long lockAddress = lockField & ~LOCK_FLAGS;
        if (Verifier.ENABLED && t.verifies(VerifierCheck.LOCKS)) {
            requireOwned(t, handle, lockField, lockAddress);
        }
        long me = handle.address();
        if ((lockAddress & (KeSpinLock.KSPIN_LOCK_BYTES - 1)) != 0) { // a scribbled handle: refused before anything changes
            throw misalignedLock(t, me, lockAddress);
        }
        // The lock word: the segment this thread acquired it with, else (a handle released by
        // another thread) resolved from its address — either way before the handle changes.
        MemorySegment word = t.popQueuedLock(me);
        long wordOffset = 0;
        if (word == null || word.address() != lockAddress) {
            Region lr = as(t).regionOf(lockAddress, KeSpinLock.KSPIN_LOCK_BYTES);
            word = lr.segment();
            wordOffset = lr.offsetOf(lockAddress);
        }
        long next = (long) FIELD.getAcquire(handle, NEXT); // acquire: pairs with the successor's setRelease
        requireAlignedNext(t, me, next); // a scribbled Next is refused before the handle changes
        FIELD.set(handle, LOCK, lockAddress); // plain: clear OWNER on the own entry
        if (next == 0L && FIELD.compareAndSet(word, wordOffset, me, 0L)) { // volatile CAS: frees the lock
            return;
        }
        handOff(t, handle, me, next);
    }

    /**
     * The release with a successor: {@code next} is the successor's entry, or 0 when one swapped itself in
     * (the release's CAS failed) but has not linked itself yet, which is waited for. Then hands it the lock.
     */
    private static void handOff(ThreadState t, MemorySegment handle, long me, long next) {
        int round = 0;
        int yields = 0;
        while (next == 0L && (next = (long) FIELD.getAcquire(handle, NEXT)) == 0L) { // successor is linking itself
            round = Backoff.spinOrYield(round);
            if (round == Backoff.SPIN_LIMIT && ++yields % CHECK_EVERY_YIELDS == 0) {
                KernelCore k = t.kernel();
                if (!k.isRunningFast()) {
                    k.ensureRunning(); // halted or closed: the successor may never finish linking; say so
                }
            }
        }
        requireAlignedNext(t, me, next);
        Region nr = entry(t, as(t), next); // the successor validated it before queueing
        // volatile RMW: WAIT -> OWNER in the successor's entry; the hand-off's linearization point
        FIELD.getAndBitwiseXor(nr.segment(), nr.offsetOf(next) + KSPIN_LOCK_QUEUE.LOCK_OFFSET, LOCK_FLAGS);
    }

    /** The verifier's ownership check of a release: SPIN_LOCK_NOT_OWNED (0x10) unless the handle owns the lock it names. */
    private static void requireOwned(ThreadState t, MemorySegment handle, long lockField, long lockAddress) {
        if ((lockField & KSPIN_LOCK_QUEUE.LOCK_QUEUE_OWNER) == 0 || !t.removeOwnedLock(lockAddress)) {
            throw t.kernel().bugCheck(BugCheckCode.SPIN_LOCK_NOT_OWNED, lockAddress, handle.address(), 0, 0,
                    "KLOCK_QUEUE_HANDLE 0x" + Long.toHexString(handle.address())
                            + " does not own the queued spin lock it names (0x" + Long.toHexString(lockAddress) + ")");
        }
    }

    private static RuntimeException misalignedLock(ThreadState t, long me, long lockAddress) {
        return t.kernel().corrupt(me, "KLOCK_QUEUE_HANDLE 0x" + Long.toHexString(me) + " names the spin lock 0x"
                + Long.toHexString(lockAddress) + ", which is not 8-byte aligned: the handle is corrupt");
    }

    /**
     * The waiter's check, made every {@link #CHECK_EVERY_YIELDS} yields once its spin budget is
     * spent, that the hand-off it waits for can still come (the wait is otherwise unbounded):
     * <ul>
     *   <li>the kernel still runs — a bug check that halted it (HALT policy) stops the predecessor's
     *       owner at its next call, and its release never comes: the kernel's halted exception (or,
     *       once {@code Kernel.close()} ran, "this offkern kernel is closed"), as a blocked wait gets;</li>
     *   <li>the predecessor is still a queue entry of this lock that links to this one: its memory
     *       is live (SPECIAL_POOL: 0xD5/0xD6; 0x50 outside the address space), its {@code Lock} still
     *       names this lock and its {@code Next} is still this entry, and the lock word is not 0
     *       (a queue with a waiter has a tail). A predecessor's handle
     *       re-initialized, reused for another lock or scribbled by its owner, or a lock word
     *       re-initialized under its waiters, breaks the chain: no hand-off will ever reach this
     *       entry, so the acquire fails with KERNEL_SECURITY_CHECK_FAILURE (0x139/3, the predecessor)
     *       instead of spinning for ever, after {@link #leaveQueue}.</li>
     * </ul>
     * A predecessor changes its own handle only after its hand-off (the XOR into this entry's Lock),
     * so a changed predecessor whose hand-off this entry has meanwhile received is not a broken
     * chain: WAIT is read again after a full fence before anything is concluded.
     */
    private static void checkHandOff(ThreadState t, MemorySegment spinLock, MemorySegment handle, long me, long lockAddress,
            long pred, Region r, long predNext) {
        KernelCore k = t.kernel();
        if (!k.isRunningFast()) {
            k.ensureRunning(); // throws: halted (the owner ahead of us is stopped) or closed
        }
        RuntimeException broken = null;
        try {
            entry(t, as(t), pred); // still live memory (its owner may have freed the handle)
            long next = (long) FIELD.getVolatile(r.segment(), predNext); // volatile: the owner's reuse of its handle
            long named = (long) FIELD.getVolatile(r.segment(), predNext - KSPIN_LOCK_QUEUE.NEXT_OFFSET
                    + KSPIN_LOCK_QUEUE.LOCK_OFFSET) & ~LOCK_FLAGS;
            long word = (long) FIELD.getVolatile(spinLock, 0L); // volatile: a queue with a waiter has a tail
            if (word == 0L) {
                broken = k.corrupt(lockAddress, "queued spin lock 0x" + Long.toHexString(lockAddress) + " was re-initialized"
                        + " (its word is 0) while KLOCK_QUEUE_HANDLE 0x" + Long.toHexString(me)
                        + " waited in its queue: no hand-off can come");
            } else if (next != me || named != lockAddress) {
                broken = k.corrupt(pred, "queued spin lock 0x" + Long.toHexString(lockAddress) + ": the predecessor entry 0x"
                        + Long.toHexString(pred) + " of KLOCK_QUEUE_HANDLE 0x" + Long.toHexString(me) + " now has Next 0x"
                        + Long.toHexString(next) + " and names lock 0x" + Long.toHexString(named)
                        + " (its handle was reused, re-initialized or scribbled while queued): no hand-off can come");
            }
        } catch (RuntimeException unreachable) {
            broken = unreachable;
        }
        if (broken != null) {
            VarHandle.fullFence(); // the predecessor's hand-off precedes any change it makes to its handle
            if (((long) FIELD.getVolatile(handle, LOCK) & KSPIN_LOCK_QUEUE.LOCK_QUEUE_WAIT) == 0) {
                return; // handed the lock meanwhile: the change came after the hand-off
            }
            throw leaveQueue(spinLock, handle, me, 0L, broken); // a dead chain: the lock is free again
        }
    }

    /**
     * Takes a waiting entry that will never be handed the lock out of the queue, then returns
     * {@code cause} for the acquire to throw: its {@code Lock} is cleared (it names no lock, so a
     * successor's {@link #checkHandOff} finds the chain broken and leaves in turn), and if it is
     * still the tail the lock word becomes {@code tail} (0: free; a successor that swaps in after
     * the clear sees the cleared entry). So a broken chain costs each of its waiters one bug check,
     * and the lock is usable again afterwards rather than held for ever by a hand-off that cannot come.
     */
    private static RuntimeException leaveQueue(MemorySegment spinLock, MemorySegment handle, long me, long tail,
            RuntimeException cause) {
        FIELD.setVolatile(handle, LOCK, 0L); // volatile: seen by a successor's check before it can conclude
        boolean unused = FIELD.compareAndSet(spinLock, 0L, me, tail); // volatile CAS: only if we are still the tail
        return cause;
    }

    private static AddressSpace as(ThreadState t) {
        return t.kernel().addressSpace();
    }

    /**
     * Checks that the caller's own queue entry at {@code me} resolves in the address space (0x50
     * otherwise), as {@link AddressSpace#regionOf} does, through the thread's memo of the region its
     * last handle resolved to: while no region was added or removed (the space's generation, read
     * before the lookup that filled the memo, is unchanged) a handle inside that region resolves to it
     * again, so the usual acquire (the same stack handle, or one beside it) costs a volatile read and
     * two compares instead of the table lookup (~6 ns).
     */
    private static void requireOwnEntry(ThreadState t, AddressSpace as, long me) {
        long generation = as.generation(); // volatile read, before the lookup: a change after it invalidates the memo
        Region r = t.queueEntryRegion;
        if (r != null && t.queueEntryGeneration == generation && r.contains(me, ENTRY_BYTES)) {
            return;
        }
        t.queueEntryRegion = as.regionOf(me, ENTRY_BYTES); // throws 0x50: the memo is left as it was
        t.queueEntryGeneration = generation;
    }

    /**
     * The region of the queue entry at {@code entry} (a predecessor or successor another thread
     * queued, or an address a scribbled lock word or handle holds): 0x50 outside every region; under
     * the verifier's SPECIAL_POOL family the entry must lie inside one live block (0xD6/0xD5), so a
     * scribbled link cannot make the hand-off write into a neighbour.
     */
    private static Region entry(ThreadState t, AddressSpace as, long entry) {
        if ((entry & (KeSpinLock.KSPIN_LOCK_BYTES - 1)) != 0) {
            throw t.kernel().corrupt(entry, "queued spin lock entry 0x" + Long.toHexString(entry)
                    + " (from a lock word or a handle's Next) is not 8-byte aligned: the queue is corrupt");
        }
        if (Verifier.ENABLED && t.verifies(VerifierCheck.SPECIAL_POOL)) {
            return as.checkLive(entry, entry, ENTRY_BYTES, true);
        }
        return as.regionOf(entry, ENTRY_BYTES);
    }

    /** A successor entry must be 8-byte aligned (a KSPIN_LOCK_QUEUE): a misaligned Next is a corrupt queue (0x139). */
    private static void requireAlignedNext(ThreadState t, long me, long next) {
        if ((next & (KeSpinLock.KSPIN_LOCK_BYTES - 1)) != 0) {
            throw misalignedNext(t, me, next);
        }
    }

    private static RuntimeException misalignedNext(ThreadState t, long me, long next) {
        return t.kernel().corrupt(me, "KLOCK_QUEUE_HANDLE 0x" + Long.toHexString(me) + " has Next 0x"
                + Long.toHexString(next) + ", which is not 8-byte aligned: the queue is corrupt");
    }

    private static void check(MemorySegment spinLock, MemorySegment handle, long handleSize) {
        KeSpinLock.checkWord(spinLock);
        checkHandle(handle, handleSize);
    }

    /** Always on (crash safety): a handle FFM could not access as a KLOCK_QUEUE_HANDLE is refused with a message. */
    private static void checkHandle(MemorySegment handle, long size) {
        if (handle != null && !handle.scope().isAlive()) {
            throw LiveMemory.unmapped(handle, "in-stack queued spin lock", "LockHandle");
        }
        if (handle == null || !handle.isNative() || handle.address() == 0 || handle.byteSize() < size
                || !KLOCK_QUEUE_HANDLE.X64.isAligned(handle.address())) {
            throw new IllegalArgumentException("a KLOCK_QUEUE_HANDLE must be an 8-byte aligned native segment of "
                    + size + " bytes or more, not " + handle);
        }
    }

    // ----- VarHandle mechanics -----
    /** Pointer-sized fields: KSPIN_LOCK word, KSPIN_LOCK_QUEUE.Next and .Lock. */
    private static final VarHandle FIELD = ValueLayout.JAVA_LONG.varHandle();
}
