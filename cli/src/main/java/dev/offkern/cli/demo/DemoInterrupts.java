package dev.offkern.cli.demo;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Io;
import dev.offkern.layout.io.IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS;
import dev.offkern.layout.io.IO_CONNECT_INTERRUPT_PARAMETERS;
import dev.offkern.layout.io.IO_DISCONNECT_INTERRUPT_PARAMETERS;
import dev.offkern.nt.InterruptConnect;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The demo device's interrupt, both sides of it.
 *
 * <p>The driver's side: at DriverEntry the device's line is connected with IoConnectInterruptEx
 * (CONNECT_LINE_BASED; the KINTERRUPT comes back in the parameters) and its DPC set up with
 * IoInitializeDpcRequest. The service routine runs at the line's device IRQL holding the
 * interrupt's spin lock: it reads and clears the device's status register (an interlocked exchange
 * on the word in the device extension) and, when a request was signalled, claims the interrupt and
 * requests the device's DPC, which completes a batch of queued requests at DISPATCH_LEVEL. At
 * unload the line is disconnected with IoDisconnectInterruptEx.
 *
 * <p>The pretend hardware's side: the embedder gives the device a line through the kernel's
 * interrupt controller; the dispatch routine rings a doorbell for every fourth request (sets a bit
 * of the status register), and a "hardware" thread delivers an interrupt on the line whenever the
 * register is non-zero.
 */
final class DemoInterrupts {
    /** The device's interrupt line, and its device IRQL. */
    static final int VECTOR = 0x61;
    static final int DEVICE_IRQL = 6;
    private static final int DOORBELL = 1;
    /** DEVICE_STATUS word: an int in native memory, read and cleared atomically. */
    private static final VarHandle STATUS = JAVA_INT.varHandle();

    private final Kernel kernel;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong claimed = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private volatile boolean running;
    private Thread hardware;
    private MemorySegment parameters;
    private MemorySegment interruptObject;

    DemoInterrupts(Kernel kernel) {
        this.kernel = kernel;
    }

    /** At DriverEntry: the line for the device (the embedder's part), then IoConnectInterruptEx and IoInitializeDpcRequest. */
    void connect(DemoDriver driver) {
        kernel.interrupts().assignLine(driver.device, VECTOR, DEVICE_IRQL);
        parameters = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, IO_CONNECT_INTERRUPT_PARAMETERS.X64.size(), DemoDriver.TAG);
        long line = IO_CONNECT_INTERRUPT_PARAMETERS.LINE_BASED_OFFSET;
        parameters.set(JAVA_INT, IO_CONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET, InterruptConnect.CONNECT_LINE_BASED);
        parameters.set(JAVA_LONG, line + IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS.PHYSICAL_DEVICE_OBJECT_OFFSET, driver.device.address());
        interruptObject = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 8, DemoDriver.TAG); // receives the PKINTERRUPT
        parameters.set(JAVA_LONG, line + IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS.INTERRUPT_OBJECT_OFFSET, interruptObject.address());
        parameters.set(JAVA_LONG, line + IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS.SERVICE_CONTEXT_OFFSET, driver.deviceStatus().address());
        parameters.set(JAVA_LONG, line + IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS.SPIN_LOCK_OFFSET, 0L); // the KINTERRUPT's own
        parameters.set(JAVA_BYTE, line + IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS.SYNCHRONIZE_IRQL_OFFSET, (byte) DEVICE_IRQL);
        parameters.set(JAVA_BYTE, line + IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS.FLOATING_SAVE_OFFSET, (byte) 0);
        MemorySegment status = driver.deviceStatus();
        int st = Io.IoConnectInterruptEx(parameters, (interrupt, context) -> {
            // The service routine: DEVICE_IRQL, the interrupt's spin lock held.
            int bits = (int) STATUS.getAndSet(status, 0L, 0); // volatile exchange: reads and clears the register at once
            if (bits == 0) {
                return false; // not this device's interrupt
            }
            claimed.incrementAndGet();
            Io.IoRequestDpc(driver.device, MemorySegment.NULL, MemorySegment.NULL);
            return true;
        }, null);
        if (st != NtStatus.STATUS_SUCCESS) {
            throw new IllegalStateException("IoConnectInterruptEx: 0x" + Integer.toHexString(st));
        }
        Io.IoInitializeDpcRequest(driver.device, (dpc, deviceObject, irp, context) -> driver.interruptDpc());
    }

    /** Dispatch routine: the device raises its interrupt for every fourth request. */
    void doorbell(DemoDriver driver) {
        if ((requests.incrementAndGet() & 3) == 0) {
            STATUS.getAndBitwiseOr(driver.deviceStatus(), 0L, DOORBELL); // volatile OR: the hardware thread sees it
            LockSupport.unpark(hardware);
        }
    }

    /** Starts the hardware thread: an interrupt on the line whenever the status register is non-zero. */
    void startHardware(DemoDriver driver) {
        running = true;
        MemorySegment status = driver.deviceStatus();
        hardware = Thread.ofPlatform().daemon().name("demo-hardware").start(() -> {
            kernel.attach();
            try {
                while (running) {
                    if ((int) STATUS.getVolatile(status, 0L) != 0) {
                        delivered.incrementAndGet();
                        kernel.interrupts().interrupt(VECTOR);
                    } else {
                        LockSupport.parkNanos(200_000);
                    }
                }
            } finally {
                Kernel.detach();
            }
        });
    }

    void stopHardware() throws InterruptedException {
        running = false;
        if (hardware != null) {
            LockSupport.unpark(hardware);
            hardware.join();
        }
    }

    /** At unload: IoDisconnectInterruptEx with the KINTERRUPT IoConnectInterruptEx returned. */
    void disconnect(DemoDriver driver) {
        MemorySegment p = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, IO_DISCONNECT_INTERRUPT_PARAMETERS.X64.size(), DemoDriver.TAG);
        p.set(JAVA_INT, IO_DISCONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET,
                parameters.get(JAVA_INT, IO_CONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET));
        p.set(JAVA_LONG, IO_DISCONNECT_INTERRUPT_PARAMETERS.CONNECTION_CONTEXT_OFFSET, interruptObject.get(JAVA_LONG, 0));
        Io.IoDisconnectInterruptEx(p);
        Ex.ExFreePoolWithTag(p, DemoDriver.TAG);
        Ex.ExFreePoolWithTag(parameters, DemoDriver.TAG);
        Ex.ExFreePoolWithTag(interruptObject, DemoDriver.TAG);
    }

    long delivered() {
        return delivered.get();
    }

    long claimed() {
        return claimed.get();
    }
}
