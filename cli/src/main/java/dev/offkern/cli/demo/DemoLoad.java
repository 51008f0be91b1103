package dev.offkern.cli.demo;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Io;
import dev.offkern.ddi.Ke;
import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.IO_STACK_LOCATION;
import dev.offkern.layout.io.IO_STATUS_BLOCK;
import dev.offkern.layout.io.IRP;
import dev.offkern.layout.ke.KEVENT;
import dev.offkern.nt.IO_COMPLETION_ROUTINE;
import dev.offkern.nt.IoCodes;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo's requesters: threads that send {@link DemoDriver#IOCTL_DEMO_REQUEST} to the device and
 * wait for each, cancelling some.
 *
 * <p>Each thread owns one IRP for its whole run (IoAllocateIrp once, IoReuseIrp per request): it
 * fills the driver's stack location (IRP_MJ_DEVICE_CONTROL, the control code, a buffered
 * input/output block), sets a completion routine that signals the thread's event and returns
 * STATUS_MORE_PROCESSING_REQUIRED (so the IRP stays the thread's after completion, and a cancel
 * can never touch a freed IRP — Microsoft's pattern for cancelling an IRP you allocated), calls
 * IoCallDriver and waits on the event. A requester chosen to cancel waits a moment, then calls
 * IoCancelIrp: the request ends cancelled if it was still queued, completed if a completion path
 * got to it first. Latency is measured around IoCallDriver and the wait.
 */
final class DemoLoad {
    /** Pool tag of the requesters' own blocks ("DmRq"). */
    static final int TAG = PoolTags.tag("DmRq");

    /** The requesters' totals. */
    static final class Totals {
        final AtomicLong sent = new AtomicLong();
        final AtomicLong completed = new AtomicLong();
        final AtomicLong cancelled = new AtomicLong();
        final AtomicLong cancelAttempts = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong done = new AtomicLong();
        final DemoLatency latency = new DemoLatency();
    }

    private final Kernel kernel;
    private final MemorySegment device;
    private final int cancelPercent;
    private final Totals totals;

    DemoLoad(Kernel kernel, MemorySegment device, int cancelPercent, Totals totals) {
        this.kernel = kernel;
        this.device = device;
        this.cancelPercent = cancelPercent;
        this.totals = totals;
    }

    /** One requester: {@code requests} requests, one after another. */
    void run(int requests, long seed) {
        kernel.attach();
        SplittableRandom random = new SplittableRandom(seed);
        DemoLatency mine = new DemoLatency();
        int stackSize = Math.max(1, device.get(java.lang.foreign.ValueLayout.JAVA_BYTE, DEVICE_OBJECT.STACK_SIZE_OFFSET));
        MemorySegment irp = Io.IoAllocateIrp(stackSize, false);
        MemorySegment block = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 64, TAG);
        try {
            if (irp.address() == 0 || block.address() == 0) {
                throw new IllegalStateException("no memory for a requester's IRP and event");
            }
            irp = kernel.memory(irp.address(), Io.IoSizeOfIrp(stackSize));
            MemorySegment event = block.asSlice(0, KEVENT.X64.size());
            MemorySegment buffer = block.asSlice(32, 16); // the METHOD_BUFFERED system buffer: request number in, echo out
            Ke.KeInitializeEvent(event, Ke.NotificationEvent, false);
            // One routine for the thread's whole run (its function pointer is registered once).
            IO_COMPLETION_ROUTINE signal = (deviceObject, completed, context) -> {
                Ke.KeSetEvent(event, 0, false);
                return NtStatus.STATUS_MORE_PROCESSING_REQUIRED; // the IRP stays ours
            };
            for (int i = 0; i < requests; i++) {
                Io.IoReuseIrp(irp, NtStatus.STATUS_SUCCESS);
                Ke.KeClearEvent(event);
                buffer.set(JAVA_LONG, 0, i);
                irp.set(JAVA_LONG, IRP.ASSOCIATED_IRP_SYSTEM_BUFFER_OFFSET, buffer.address());
                MemorySegment next = Io.IoGetNextIrpStackLocation(irp);
                next.set(java.lang.foreign.ValueLayout.JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_DEVICE_CONTROL);
                next.set(JAVA_INT, IO_STACK_LOCATION.PARAMETERS_DEVICE_IO_CONTROL_IO_CONTROL_CODE_OFFSET, DemoDriver.IOCTL_DEMO_REQUEST);
                next.set(JAVA_INT, IO_STACK_LOCATION.PARAMETERS_DEVICE_IO_CONTROL_INPUT_BUFFER_LENGTH_OFFSET, 8);
                next.set(JAVA_INT, IO_STACK_LOCATION.PARAMETERS_DEVICE_IO_CONTROL_OUTPUT_BUFFER_LENGTH_OFFSET, 8);
                Io.IoSetCompletionRoutine(irp, signal, MemorySegment.NULL, true, true, true);
                boolean cancel = random.nextInt(100) < cancelPercent;
                totals.sent.incrementAndGet();
                long t0 = System.nanoTime();
                int st = Io.IoCallDriver(device, irp);
                if (st == NtStatus.STATUS_PENDING && cancel) {
                    long until = System.nanoTime() + random.nextLong(50_000, 1_500_000);
                    while (System.nanoTime() < until && Ke.KeReadStateEvent(event) == 0) {
                        Thread.onSpinWait();
                    }
                    totals.cancelAttempts.incrementAndGet();
                    Io.IoCancelIrp(irp);
                }
                Ke.KeWaitForSingleObject(event, Ke.Executive, Ke.KernelMode, false, MemorySegment.NULL);
                mine.record(System.nanoTime() - t0);
                int status = irp.get(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET);
                if (status == NtStatus.STATUS_SUCCESS) {
                    totals.completed.incrementAndGet();
                } else if (status == NtStatus.STATUS_CANCELLED) {
                    totals.cancelled.incrementAndGet();
                } else {
                    totals.failed.incrementAndGet();
                }
                totals.done.incrementAndGet();
            }
        } finally {
            if (irp.address() != 0) {
                Io.IoFreeIrp(irp);
            }
            if (block.address() != 0) {
                Ex.ExFreePoolWithTag(block, TAG);
            }
            synchronized (totals.latency) {
                totals.latency.addAll(mine);
            }
            Kernel.detach();
        }
    }
}
