package dev.offkern.runtime.io;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.layout.io.IO_CSQ;
import dev.offkern.layout.io.IO_CSQ_IRP_CONTEXT;
import dev.offkern.layout.io.IRP;
import dev.offkern.nt.IO_CSQ_COMPLETE_CANCELED_IRP;
import dev.offkern.nt.IO_CSQ_INSERT_IRP;
import dev.offkern.nt.IO_CSQ_INSERT_IRP_EX;
import dev.offkern.nt.IO_CSQ_REMOVE_IRP;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.MemorySegment;

/**
 * Cancel-safe IRP queues on the byte-exact {@code IO_CSQ}: {@code IoCsqInitialize},
 * {@code IoCsqInitializeEx}, {@code IoCsqInsertIrp}, {@code IoCsqInsertIrpEx}, {@code IoCsqRemoveIrp},
 * {@code IoCsqRemoveNextIrp}, and the cancel routine they arm on every queued IRP.
 *
 * <h2>State</h2>
 * IO_CSQ: Type IO_TYPE_CSQ (2), or IO_TYPE_CSQ_EX (3) when CsqInsertIrp holds an insert-ex routine;
 * the six callbacks as real function pointers; ReservePointer NULL. A queued IRP has
 * {@code Tail.Overlay.DriverContext[3]} = its IO_CSQ_IRP_CONTEXT (Type IO_TYPE_CSQ_IRP_CONTEXT (1),
 * Irp, Csq) when the inserter passed one, else the IO_CSQ itself (told apart by the first ULONG,
 * Type); its CancelRoutine is the I/O manager's CSQ cancel routine.
 *
 * <h2>Who owns a queued IRP (the invariant the race test checks)</h2>
 * Exactly one of: IoCsqRemoveIrp / IoCsqRemoveNextIrp, which take it out of the queue after taking
 * the cancel routine back with an exchange (non-NULL: theirs); or the cancel path, whose IoCancelIrp
 * exchange got the routine (the removers skip the IRP: they see NULL). The cancel routine releases
 * the cancel spin lock, clears the context's Irp, removes the IRP under the queue lock and calls
 * CsqCompleteCanceledIrp outside it: a cancelled queued IRP is completed through that callback
 * exactly once. An IRP cancelled before IoCsqInsertIrp armed its routine is taken back by the
 * inserter (exchange non-NULL after seeing Cancel) and completed the same way.
 *
 * <p>Callbacks run at the caller's IRQL (≤ DISPATCH_LEVEL); the remove and insert callbacks and
 * CsqPeekNextIrp with the queue's lock held (the driver's CsqAcquireLock/CsqReleaseLock); the
 * cancel path's from the IoCancelIrp caller's IRQL. IRQL: Initialize any; the others ≤
 * DISPATCH_LEVEL (verifier: 0xD1). Progress: blocking on the driver's queue lock.
 */
public final class IoCsq {
    /** IO_CSQ.Type of IoCsqInitialize. */
    public static final int IO_TYPE_CSQ = IO_CSQ.IO_TYPE_CSQ;
    /** IO_CSQ.Type of IoCsqInitializeEx. */
    public static final int IO_TYPE_CSQ_EX = IO_CSQ.IO_TYPE_CSQ_EX;
    /** IO_CSQ_IRP_CONTEXT.Type. */
    public static final int IO_TYPE_CSQ_IRP_CONTEXT = IO_CSQ_IRP_CONTEXT.IO_TYPE_CSQ_IRP_CONTEXT;
    /** Tail.Overlay.DriverContext[3]: the CSQ's per-IRP slot. */
    static final long DRIVER_CONTEXT_3 = IRP.TAIL_OVERLAY_DRIVER_CONTEXT_OFFSET + 3 * 8;

    private IoCsq() {
    }

    /** The six callbacks, as routine pointers (Java stubs or native functions). */
    public record Callbacks(long insert, long remove, long peek, long acquire, long release, long complete) {
    }

    /** {@code IoCsqInitialize} / {@code IoCsqInitializeEx}: STATUS_SUCCESS. */
    public static int initialize(IoManager io, MemorySegment csqArg, Callbacks c, boolean ex) {
        String name = ex ? "IoCsqInitializeEx" : "IoCsqInitialize";
        if (c.insert == 0 || c.remove == 0 || c.peek == 0 || c.acquire == 0 || c.release == 0 || c.complete == 0) {
            throw new IllegalArgumentException(name + ": every callback is required (one is NULL)");
        }
        MemorySegment csq = csq(io, csqArg, name);
        csq.set(JAVA_INT, IO_CSQ.TYPE_OFFSET, ex ? IO_TYPE_CSQ_EX : IO_TYPE_CSQ);
        csq.set(JAVA_LONG, IO_CSQ.CSQ_INSERT_IRP_OFFSET, c.insert);
        csq.set(JAVA_LONG, IO_CSQ.CSQ_REMOVE_IRP_OFFSET, c.remove);
        csq.set(JAVA_LONG, IO_CSQ.CSQ_PEEK_NEXT_IRP_OFFSET, c.peek);
        csq.set(JAVA_LONG, IO_CSQ.CSQ_ACQUIRE_LOCK_OFFSET, c.acquire);
        csq.set(JAVA_LONG, IO_CSQ.CSQ_RELEASE_LOCK_OFFSET, c.release);
        csq.set(JAVA_LONG, IO_CSQ.CSQ_COMPLETE_CANCELED_IRP_OFFSET, c.complete);
        csq.set(JAVA_LONG, IO_CSQ.RESERVE_POINTER_OFFSET, 0L);
        return NtStatus.STATUS_SUCCESS;
    }

    private static MemorySegment csq(IoManager io, MemorySegment csqArg, String routine) {
        if (csqArg == null || csqArg.address() == 0) {
            throw new IllegalArgumentException(routine + ": Csq is NULL");
        }
        if ((csqArg.address() & 7) != 0) {
            throw new IllegalArgumentException(routine + ": Csq 0x" + Long.toHexString(csqArg.address()) + " is not 8-byte aligned");
        }
        if (csqArg.isNative() && csqArg.byteSize() == IoManager.IO_CSQ_SIZE) {
            return csqArg; // already bounded to the IO_CSQ: no slice
        }
        return csqArg.byteSize() >= IoManager.IO_CSQ_SIZE && csqArg.isNative() ? csqArg.asSlice(0, IoManager.IO_CSQ_SIZE)
                : io.res(csqArg.address(), IoManager.IO_CSQ_SIZE);
    }

    /** An initialized queue's Type, or IllegalArgumentException. */
    private static int type(MemorySegment csq, String routine) {
        int t = csq.get(JAVA_INT, IO_CSQ.TYPE_OFFSET);
        if (t != IO_TYPE_CSQ && t != IO_TYPE_CSQ_EX) {
            throw new IllegalArgumentException(routine + ": IO_CSQ 0x" + Long.toHexString(csq.address()) + " has Type " + t
                    + " (not initialized: IoCsqInitialize sets 2, IoCsqInitializeEx 3)");
        }
        return t;
    }

    /** {@code IoCsqInsertIrpEx(Csq, Irp, Context, InsertContext)} (IoCsqInsertIrp: InsertContext NULL, status ignored). */
    public static int insert(IoManager io, MemorySegment csqArg, MemorySegment irpArg, MemorySegment contextArg, MemorySegment insertContext,
                             String routine) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, routine);
        }
        MemorySegment csq = csq(io, csqArg, routine);
        int type = type(csq, routine);
        MemorySegment irp = io.irpSegment(IoIrp.address(irpArg, routine), routine);
        IoIrp.requireIrp(io, irp, routine);
        MemorySegment ctx = contextArg == null || contextArg.address() == 0 ? null
                : io.res(contextArg.address(), IO_CSQ_IRP_CONTEXT.X64.size());
        long c = csq.address();
        long a = irp.address();
        int irql = IoRoutines.callAcquire(io, csq.get(JAVA_LONG, IO_CSQ.CSQ_ACQUIRE_LOCK_OFFSET), c);
        int status = NtStatus.STATUS_SUCCESS;
        boolean completeCanceled = false;
        try {
            long insert = csq.get(JAVA_LONG, IO_CSQ.CSQ_INSERT_IRP_OFFSET);
            if (type == IO_TYPE_CSQ_EX) {
                status = IoRoutines.callPPP(io, insert, c, a, insertContext == null ? 0 : insertContext.address(),
                        IO_CSQ_INSERT_IRP_EX.class, "CsqInsertIrpEx of IO_CSQ");
                if (!NtStatus.NT_SUCCESS(status)) {
                    return status; // not queued: no context, no cancel routine, not pending
                }
            } else {
                IoRoutines.callVoid(io, insert, c, a, IO_CSQ_INSERT_IRP.class, "CsqInsertIrp of IO_CSQ");
            }
            IoIrp.markPending(io, irp);
            if (ctx != null) {
                ctx.set(JAVA_INT, IO_CSQ_IRP_CONTEXT.TYPE_OFFSET, IO_TYPE_CSQ_IRP_CONTEXT);
                ctx.set(JAVA_LONG, IO_CSQ_IRP_CONTEXT.IRP_OFFSET, a);
                ctx.set(JAVA_LONG, IO_CSQ_IRP_CONTEXT.CSQ_OFFSET, c);
                irp.set(JAVA_LONG, DRIVER_CONTEXT_3, ctx.address());
            } else {
                irp.set(JAVA_LONG, DRIVER_CONTEXT_3, c);
            }
            IoCancel.exchange(irp, io.csqCancelStub()); // arm: from here IoCancelIrp may take the IRP
            if (IoCancel.isCancelled(irp) && IoCancel.exchange(irp, 0) != 0) {
                // cancelled before the routine was armed, and the routine taken back: ours to complete
                IoRoutines.callVoid(io, csq.get(JAVA_LONG, IO_CSQ.CSQ_REMOVE_IRP_OFFSET), c, a, IO_CSQ_REMOVE_IRP.class,
                        "CsqRemoveIrp of IO_CSQ");
                irp.set(JAVA_LONG, DRIVER_CONTEXT_3, 0L);
                if (ctx != null) {
                    ctx.set(JAVA_LONG, IO_CSQ_IRP_CONTEXT.IRP_OFFSET, 0L);
                }
                completeCanceled = true;
            }
        } finally {
            IoRoutines.callRelease(io, csq.get(JAVA_LONG, IO_CSQ.CSQ_RELEASE_LOCK_OFFSET), c, irql);
        }
        if (completeCanceled) {
            IoRoutines.callVoid(io, csq.get(JAVA_LONG, IO_CSQ.CSQ_COMPLETE_CANCELED_IRP_OFFSET), c, a, IO_CSQ_COMPLETE_CANCELED_IRP.class,
                    "CsqCompleteCanceledIrp of IO_CSQ");
        }
        return status;
    }

    /** {@code IoCsqRemoveIrp(Csq, Context)}: the IRP, no longer cancelable, or NULL (cancelled, or removed already). */
    public static MemorySegment remove(IoManager io, MemorySegment csqArg, MemorySegment contextArg) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, "IoCsqRemoveIrp");
        }
        MemorySegment csq = csq(io, csqArg, "IoCsqRemoveIrp");
        type(csq, "IoCsqRemoveIrp");
        if (contextArg == null || contextArg.address() == 0) {
            throw new IllegalArgumentException("IoCsqRemoveIrp: Context is NULL");
        }
        MemorySegment ctx = io.res(contextArg.address(), IO_CSQ_IRP_CONTEXT.X64.size());
        long c = csq.address();
        int irql = IoRoutines.callAcquire(io, csq.get(JAVA_LONG, IO_CSQ.CSQ_ACQUIRE_LOCK_OFFSET), c);
        long result = 0;
        try {
            long a = ctx.get(JAVA_LONG, IO_CSQ_IRP_CONTEXT.IRP_OFFSET);
            if (a != 0) {
                MemorySegment irp = io.irpSegment(a, "IoCsqRemoveIrp");
                if (IoCancel.exchange(irp, 0) != 0) { // ours: the cancel routine will not run
                    IoRoutines.callVoid(io, csq.get(JAVA_LONG, IO_CSQ.CSQ_REMOVE_IRP_OFFSET), c, a, IO_CSQ_REMOVE_IRP.class,
                            "CsqRemoveIrp of IO_CSQ");
                    irp.set(JAVA_LONG, DRIVER_CONTEXT_3, 0L);
                    ctx.set(JAVA_LONG, IO_CSQ_IRP_CONTEXT.IRP_OFFSET, 0L);
                    result = a;
                }
            }
        } finally {
            IoRoutines.callRelease(io, csq.get(JAVA_LONG, IO_CSQ.CSQ_RELEASE_LOCK_OFFSET), c, irql);
        }
        return result == 0 ? MemorySegment.NULL : io.irpSegment(result, "IoCsqRemoveIrp");
    }

    /** {@code IoCsqRemoveNextIrp(Csq, PeekContext)}: the next matching, not cancelled IRP, dequeued, or NULL. */
    public static MemorySegment removeNext(IoManager io, MemorySegment csqArg, MemorySegment peekContext) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, "IoCsqRemoveNextIrp");
        }
        MemorySegment csq = csq(io, csqArg, "IoCsqRemoveNextIrp");
        type(csq, "IoCsqRemoveNextIrp");
        long c = csq.address();
        long peekCtx = peekContext == null ? 0 : peekContext.address();
        long peek = csq.get(JAVA_LONG, IO_CSQ.CSQ_PEEK_NEXT_IRP_OFFSET);
        int irql = IoRoutines.callAcquire(io, csq.get(JAVA_LONG, IO_CSQ.CSQ_ACQUIRE_LOCK_OFFSET), c);
        long result = 0;
        try {
            long a = IoRoutines.callPeek(io, peek, c, 0, peekCtx);
            for (long seen = 0; a != 0; seen++) {
                MemorySegment irp = io.irpSegment(a, "IoCsqRemoveNextIrp");
                if (IoCancel.exchange(irp, 0) != 0) { // ours
                    IoRoutines.callVoid(io, csq.get(JAVA_LONG, IO_CSQ.CSQ_REMOVE_IRP_OFFSET), c, a, IO_CSQ_REMOVE_IRP.class,
                            "CsqRemoveIrp of IO_CSQ");
                    long slot = irp.get(JAVA_LONG, DRIVER_CONTEXT_3);
                    irp.set(JAVA_LONG, DRIVER_CONTEXT_3, 0L);
                    if (slot != 0 && slot != c) {
                        MemorySegment ctx = io.res(slot, IO_CSQ_IRP_CONTEXT.X64.size());
                        if (ctx.get(JAVA_INT, IO_CSQ_IRP_CONTEXT.TYPE_OFFSET) == IO_TYPE_CSQ_IRP_CONTEXT) {
                            ctx.set(JAVA_LONG, IO_CSQ_IRP_CONTEXT.IRP_OFFSET, 0L);
                        }
                    }
                    result = a;
                    break;
                }
                if (seen > 100_000_000L) {
                    throw new IllegalStateException("IoCsqRemoveNextIrp: CsqPeekNextIrp of IO_CSQ 0x" + Long.toHexString(c)
                            + " never returns NULL (a cycle in the driver's queue)");
                }
                a = IoRoutines.callPeek(io, peek, c, a, peekCtx); // being cancelled: the cancel path removes it
            }
        } finally {
            IoRoutines.callRelease(io, csq.get(JAVA_LONG, IO_CSQ.CSQ_RELEASE_LOCK_OFFSET), c, irql);
        }
        return result == 0 ? MemorySegment.NULL : io.irpSegment(result, "IoCsqRemoveNextIrp");
    }

    /** IopCsqCancelRoutine: called by IoCancelIrp at DISPATCH_LEVEL holding the cancel spin lock. */
    static void cancelRoutine(IoManager io, MemorySegment irp) {
        int cancelIrql = irp.get(java.lang.foreign.ValueLayout.JAVA_BYTE, IRP.CANCEL_IRQL_OFFSET) & 0xFF;
        IoCancel.releaseCancelSpinLock(io, cancelIrql);
        long a = irp.address();
        long slot = irp.get(JAVA_LONG, DRIVER_CONTEXT_3);
        if (slot == 0) {
            throw new IllegalStateException("the CSQ cancel routine ran for IRP 0x" + Long.toHexString(a)
                    + " whose DriverContext[3] is NULL (the driver overwrote the cancel-safe queue's slot)");
        }
        MemorySegment head = io.res(slot, 4);
        long c;
        if (head.get(JAVA_INT, 0) == IO_TYPE_CSQ_IRP_CONTEXT) {
            MemorySegment ctx = io.res(slot, IO_CSQ_IRP_CONTEXT.X64.size());
            c = ctx.get(JAVA_LONG, IO_CSQ_IRP_CONTEXT.CSQ_OFFSET);
            ctx.set(JAVA_LONG, IO_CSQ_IRP_CONTEXT.IRP_OFFSET, 0L);
        } else {
            c = slot;
        }
        MemorySegment csq = io.res(c, IoManager.IO_CSQ_SIZE);
        type(csq, "the CSQ cancel routine");
        int irql = IoRoutines.callAcquire(io, csq.get(JAVA_LONG, IO_CSQ.CSQ_ACQUIRE_LOCK_OFFSET), c);
        try {
            IoRoutines.callVoid(io, csq.get(JAVA_LONG, IO_CSQ.CSQ_REMOVE_IRP_OFFSET), c, a, IO_CSQ_REMOVE_IRP.class,
                    "CsqRemoveIrp of IO_CSQ");
            irp.set(JAVA_LONG, DRIVER_CONTEXT_3, 0L);
        } finally {
            IoRoutines.callRelease(io, csq.get(JAVA_LONG, IO_CSQ.CSQ_RELEASE_LOCK_OFFSET), c, irql);
        }
        IoRoutines.callVoid(io, csq.get(JAVA_LONG, IO_CSQ.CSQ_COMPLETE_CANCELED_IRP_OFFSET), c, a, IO_CSQ_COMPLETE_CANCELED_IRP.class,
                "CsqCompleteCanceledIrp of IO_CSQ");
    }
}
