package dev.offkern.runtime.io;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.layout.io.IO_STACK_LOCATION;
import dev.offkern.layout.io.IRP;
import dev.offkern.nt.DRIVER_CANCEL;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.ke.KeSpinLock;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * IRP cancellation: {@code IoSetCancelRoutine}, {@code IoCancelIrp}, {@code IoAcquireCancelSpinLock},
 * {@code IoReleaseCancelSpinLock}. This class owns the IRP's {@code CancelRoutine} and {@code Cancel}
 * fields.
 *
 * <h2>Protocol (Windows')</h2>
 * Whoever takes a non-NULL CancelRoutine out of the IRP with an atomic exchange owns the IRP's
 * cancellation: IoCancelIrp sets {@code Cancel} := TRUE, takes the cancel spin lock (its IRQL saved in
 * {@code CancelIrql}) and exchanges CancelRoutine with NULL; if it got a routine it calls it at
 * DISPATCH_LEVEL with the lock held (the routine releases it with
 * {@code IoReleaseCancelSpinLock(Irp->CancelIrql)} and completes the IRP) and returns TRUE; else it
 * releases the lock and returns FALSE. A driver that wants its IRP back exchanges CancelRoutine with
 * NULL itself (IoSetCancelRoutine(Irp, NULL)): a non-NULL result means the cancel routine will not
 * run; NULL means it is running or will run, and the IRP belongs to it. A driver arming a cancel
 * routine checks {@code Irp->Cancel} afterwards, and if it is set takes the routine back: if that
 * succeeds the IRP was cancelled before the routine was armed and the driver completes it.
 *
 * <p>Memory ordering: the exchange is a volatile getAndSet, and Cancel is written and read with
 * volatile accesses; both sides (IoCancelIrp: write Cancel, exchange; a driver: exchange, read
 * Cancel) are sequentially consistent, so at least one of them sees the other (Dekker) and a
 * cancellation is never lost between arming and checking.
 *
 * <p>IRQL: IoCancelIrp and IoAcquireCancelSpinLock ≤ DISPATCH_LEVEL; IoSetCancelRoutine any;
 * IoReleaseCancelSpinLock at DISPATCH_LEVEL holding the lock. Progress: IoSetCancelRoutine is
 * wait-free; the others block on the cancel spin lock (one per kernel, held briefly).
 */
public final class IoCancel {
    private IoCancel() {
    }

    /** {@code IoAcquireCancelSpinLock(&Irql)}: the IRQL to restore. */
    public static int acquireCancelSpinLock(IoManager io) {
        return KeSpinLock.acquire(io.cancelLock);
    }

    /** {@code IoReleaseCancelSpinLock(Irql)}. */
    public static void releaseCancelSpinLock(IoManager io, int irql) {
        KeSpinLock.release(io.cancelLock, irql);
    }

    /** {@code IoSetCancelRoutine(Irp, CancelRoutine)} with a Java routine (NULL: take the routine back). Returns the previous one. */
    public static long setCancelRoutine(IoManager io, MemorySegment irpArg, DRIVER_CANCEL routine) {
        return exchange(io, irpArg, routine == null ? 0 : IoRoutines.stub(io, routine));
    }

    /** {@code IoSetCancelRoutine(Irp, CancelRoutine)} with a native routine pointer (or NULL). Returns the previous one. */
    public static long setCancelRoutine(IoManager io, MemorySegment irpArg, MemorySegment routine) {
        return exchange(io, irpArg, routine == null ? 0 : routine.address());
    }

    static long exchange(IoManager io, MemorySegment irpArg, long routine) {
        MemorySegment irp = io.irpSegment(IoIrp.address(irpArg, "IoSetCancelRoutine"), "IoSetCancelRoutine");
        return exchange(irp, routine);
    }

    /** The atomic exchange of CancelRoutine: the linearization point of every cancellation race. */
    static long exchange(MemorySegment irp, long routine) {
        return (long) LONG.getAndSet(irp, IRP.CANCEL_ROUTINE_OFFSET, routine); // volatile: pairs with IoCancelIrp's exchange
    }

    /** The IRP's CancelRoutine (volatile read). */
    static long cancelRoutine(MemorySegment irp) {
        return (long) LONG.getVolatile(irp, IRP.CANCEL_ROUTINE_OFFSET);
    }

    /** The IRP's Cancel flag (volatile read: pairs with IoCancelIrp's volatile write). */
    static boolean isCancelled(MemorySegment irp) {
        return (byte) BYTE.getVolatile(irp, IRP.CANCEL_OFFSET) != 0;
    }

    /** {@code IoCancelIrp(Irp)}: TRUE if a cancel routine was called. */
    public static boolean cancel(IoManager io, MemorySegment irpArg) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, irpArg == null ? 0 : irpArg.address(), IrqlChecks.WRITE, "IoCancelIrp");
        }
        MemorySegment irp = io.irpSegment(IoIrp.address(irpArg, "IoCancelIrp"), "IoCancelIrp");
        IoIrp.requireIrp(io, irp, "IoCancelIrp");
        int irql = KeSpinLock.acquire(io.cancelLock);
        BYTE.setVolatile(irp, IRP.CANCEL_OFFSET, (byte) 1); // volatile: pairs with the arming side's read after its exchange
        long routine = exchange(irp, 0);
        if (routine == 0) {
            KeSpinLock.release(io.cancelLock, irql);
            return false;
        }
        irp.set(JAVA_BYTE, IRP.CANCEL_IRQL_OFFSET, (byte) irql);
        long device = 0;
        if (IoIrp.currentLocation(irp) <= IoIrp.stackCount(irp)) {
            long off = IoIrp.currentOffset(irp, "IoCancelIrp");
            device = irp.get(JAVA_LONG, off + IO_STACK_LOCATION.DEVICE_OBJECT_OFFSET);
        }
        IoRoutines.callVoid(io, routine, device, irp.address(), DRIVER_CANCEL.class,
                "CancelRoutine of IRP");
        return true;
    }

    // ----- VarHandle mechanics -----
    /** IRP.CancelRoutine (PDRIVER_CANCEL, exchanged atomically). */
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    /** IRP.Cancel (BOOLEAN, volatile). */
    private static final VarHandle BYTE = ValueLayout.JAVA_BYTE.varHandle();
}
