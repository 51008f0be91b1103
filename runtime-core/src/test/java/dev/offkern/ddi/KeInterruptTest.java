package dev.offkern.ddi;

import static dev.offkern.ddi.Io.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS;
import dev.offkern.layout.io.IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS;
import dev.offkern.layout.io.IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS;
import dev.offkern.layout.io.IO_CONNECT_INTERRUPT_PARAMETERS;
import dev.offkern.layout.io.IO_DISCONNECT_INTERRUPT_PARAMETERS;
import dev.offkern.layout.io.IO_INTERRUPT_MESSAGE_INFO;
import dev.offkern.layout.io.IO_INTERRUPT_MESSAGE_INFO_ENTRY;
import dev.offkern.layout.ke.KINTERRUPT;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.KSERVICE_ROUTINE;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.ke.InterruptController;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interrupts through the DDI: IoConnectInterruptEx in its three versions (fields of the KINTERRUPT,
 * the returned Version and out pointers, every documented status), delivery through the kernel's
 * interrupt controller (the ISR at SynchronizeIrql holding the lock, a shared vector's chain until
 * one routine claims it, unclaimed interrupts counted), IoDisconnectInterruptEx,
 * KeAcquire/ReleaseInterruptSpinLock and KeSynchronizeExecution (mutual exclusion with the ISR
 * under contention), and the ISR → IoRequestDpc → DPC path.
 */
class KeInterruptTest {
    private static final int TAG = PoolTags.tag("KiTs");
    private static final long PARAMS = IO_CONNECT_INTERRUPT_PARAMETERS.X64.size();
    private static final long FS = IO_CONNECT_INTERRUPT_PARAMETERS.FULLY_SPECIFIED_OFFSET;
    private static final long LB = IO_CONNECT_INTERRUPT_PARAMETERS.LINE_BASED_OFFSET;
    private static final long MB = IO_CONNECT_INTERRUPT_PARAMETERS.MESSAGE_BASED_OFFSET;

    @TempDir
    Path dumps;

    private Kernel kernel;
    private final List<MemorySegment> blocks = new ArrayList<>();

    private void boot() {
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps)).attach().leakReportSink(s -> { });
    }

    @AfterEach
    void shutdown() {
        if (kernel != null && !kernel.isClosed()) {
            kernel.close();
        }
    }

    private MemorySegment block(long size) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, size, TAG);
        assertFalse(b.equals(MemorySegment.NULL));
        blocks.add(b);
        return b;
    }

    private void freeBlocks() {
        for (MemorySegment b : blocks) {
            Ex.ExFreePool(b);
        }
        blocks.clear();
    }

    private MemorySegment device() {
        MemorySegment out = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Ob.ObCreateObject(Ob.KernelMode, IoDeviceObjectType(), MemorySegment.NULL, Ob.KernelMode,
                MemorySegment.NULL, (int) DEVICE_OBJECT.X64.size(), 0, 0, out));
        return MemorySegment.ofAddress(out.get(JAVA_LONG, 0));
    }

    /** A CONNECT_FULLY_SPECIFIED block for {@code vector} at {@code irql} / {@code synch}. */
    private MemorySegment fullySpecified(MemorySegment pdo, MemorySegment out, int vector, int irql, int synch, boolean share,
                                         MemorySegment context) {
        MemorySegment p = block(PARAMS);
        p.set(JAVA_INT, IO_CONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET, CONNECT_FULLY_SPECIFIED);
        p.set(JAVA_LONG, FS + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.PHYSICAL_DEVICE_OBJECT_OFFSET, pdo.address());
        p.set(JAVA_LONG, FS + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.INTERRUPT_OBJECT_OFFSET, out.address());
        p.set(JAVA_LONG, FS + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.SERVICE_CONTEXT_OFFSET, context.address());
        p.set(JAVA_BYTE, FS + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.SYNCHRONIZE_IRQL_OFFSET, (byte) synch);
        p.set(JAVA_BYTE, FS + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.SHARE_VECTOR_OFFSET, (byte) (share ? 1 : 0));
        p.set(JAVA_INT, FS + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.VECTOR_OFFSET, vector);
        p.set(JAVA_BYTE, FS + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.IRQL_OFFSET, (byte) irql);
        p.set(JAVA_LONG, FS + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.PROCESSOR_ENABLE_MASK_OFFSET, 1L);
        return p;
    }

    private MemorySegment connect(MemorySegment pdo, int vector, int irql, int synch, boolean share, KSERVICE_ROUTINE isr,
                                  MemorySegment context) {
        MemorySegment out = block(8);
        MemorySegment p = fullySpecified(pdo, out, vector, irql, synch, share, context);
        assertEquals(NtStatus.STATUS_SUCCESS, IoConnectInterruptEx(p, isr, null));
        MemorySegment k = MemorySegment.ofAddress(out.get(JAVA_LONG, 0)).reinterpret(KINTERRUPT.X64.size());
        assertNotEquals(0L, k.address());
        return k;
    }

    private void disconnect(int version, MemorySegment context) {
        MemorySegment d = block(IO_DISCONNECT_INTERRUPT_PARAMETERS.X64.size());
        d.set(JAVA_INT, IO_DISCONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET, version);
        d.set(JAVA_LONG, IO_DISCONNECT_INTERRUPT_PARAMETERS.CONNECTION_CONTEXT_OFFSET, context.address());
        IoDisconnectInterruptEx(d);
    }

    @Test
    void shouldRunTheIsrAtSynchronizeIrqlHoldingTheInterruptLock() {
        boot();
        MemorySegment dev = device();
        MemorySegment ctx = block(8);
        AtomicReference<String> seen = new AtomicReference<>();
        AtomicReference<MemorySegment> kRef = new AtomicReference<>();
        MemorySegment k = connect(dev, 0x51, 5, 7, false, (interrupt, c) -> {
            MemorySegment lock = MemorySegment.ofAddress(interrupt.get(JAVA_LONG, KINTERRUPT.ACTUAL_LOCK_OFFSET)).reinterpret(8);
            seen.set(Ke.KeGetCurrentIrql() + " " + (interrupt.address() == kRef.get().address()) + " " + (c.address() == ctx.address())
                    + " " + (lock.get(JAVA_LONG, 0) != 0));
            return true;
        }, ctx);
        kRef.set(k);
        assertEquals(22, k.get(JAVA_SHORT, KINTERRUPT.TYPE_OFFSET));
        assertEquals(0x120, k.get(JAVA_SHORT, KINTERRUPT.SIZE_OFFSET));
        assertEquals(0x51, k.get(JAVA_INT, KINTERRUPT.VECTOR_OFFSET));
        assertEquals(5, k.get(JAVA_BYTE, KINTERRUPT.IRQL_OFFSET));
        assertEquals(7, k.get(JAVA_BYTE, KINTERRUPT.SYNCHRONIZE_IRQL_OFFSET));
        assertEquals(1, k.get(JAVA_BYTE, KINTERRUPT.CONNECTED_OFFSET));
        assertEquals(0, k.get(JAVA_BYTE, KINTERRUPT.SHARE_VECTOR_OFFSET));
        assertEquals(k.address() + KINTERRUPT.SPIN_LOCK_OFFSET, k.get(JAVA_LONG, KINTERRUPT.ACTUAL_LOCK_OFFSET));
        assertEquals(ctx.address(), k.get(JAVA_LONG, KINTERRUPT.SERVICE_CONTEXT_OFFSET));
        assertEquals(dev.address(), k.get(JAVA_LONG, KINTERRUPT.PHYSICAL_DEVICE_OBJECT_OFFSET));
        assertNotEquals(0L, k.get(JAVA_LONG, KINTERRUPT.SERVICE_ROUTINE_OFFSET));
        assertTrue(kernel.interrupts().interrupt(0x51));
        assertEquals("7 true true true", seen.get());
        assertEquals(0, Ke.KeGetCurrentIrql(), "the deliverer is back at its IRQL");
        assertEquals(0L, k.get(JAVA_LONG, KINTERRUPT.SPIN_LOCK_OFFSET), "the lock is free again");
        assertEquals(1, k.get(JAVA_INT, KINTERRUPT.DISPATCH_COUNT_OFFSET));
        assertEquals(1, k.get(JAVA_INT, KINTERRUPT.SERVICE_COUNT_OFFSET));
        disconnect(CONNECT_FULLY_SPECIFIED, k);
        assertFalse(kernel.interrupts().interrupt(0x51), "disconnected: nobody claims it");
        assertEquals(1, kernel.interrupts().unclaimedCount(0x51));
        freeBlocks();
        Ob.ObDereferenceObject(dev);
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport().toString());
    }

    @Test
    void shouldCallTheChainOfASharedVectorUntilOneRoutineClaimsIt() {
        boot();
        MemorySegment dev = device();
        List<String> calls = new ArrayList<>();
        AtomicInteger claimer = new AtomicInteger(1);
        MemorySegment[] k = new MemorySegment[3];
        for (int i = 0; i < 3; i++) {
            int me = i;
            k[i] = connect(dev, 0x60, 6, 6, true, (interrupt, c) -> {
                calls.add("isr" + me);
                return claimer.get() == me;
            }, MemorySegment.NULL);
        }
        assertTrue(kernel.interrupts().interrupt(0x60));
        assertEquals(List.of("isr0", "isr1"), calls, "called in connection order until one returned TRUE");
        calls.clear();
        claimer.set(-1);
        assertFalse(kernel.interrupts().interrupt(0x60));
        assertEquals(List.of("isr0", "isr1", "isr2"), calls);
        assertEquals(1, kernel.interrupts().unclaimedCount(0x60));
        assertEquals(3, kernel.interrupts().connectedCount(0x60));
        // a non-shared object cannot join, nor join a vector a non-shared object holds
        MemorySegment out = block(8);
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, IoConnectInterruptEx(fullySpecified(dev, out, 0x60, 6, 6, false,
                MemorySegment.NULL), (i, c) -> true, null));
        connect(dev, 0x61, 6, 6, false, (i, c) -> true, MemorySegment.NULL);
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, IoConnectInterruptEx(fullySpecified(dev, out, 0x61, 6, 6, true,
                MemorySegment.NULL), (i, c) -> true, null));
        disconnect(CONNECT_FULLY_SPECIFIED, k[1]);
        calls.clear();
        claimer.set(2);
        assertTrue(kernel.interrupts().interrupt(0x60));
        assertEquals(List.of("isr0", "isr2"), calls);
    }

    @Test
    void shouldRunEachIsrOfASharedVectorAtItsOwnSynchronizeIrql() {
        boot();
        MemorySegment dev = device();
        List<Integer> irqls = new ArrayList<>();
        connect(dev, 0x62, 10, 11, true, (i, c) -> irqls.add(Ke.KeGetCurrentIrql()) && false, MemorySegment.NULL);
        connect(dev, 0x62, 10, 10, true, (i, c) -> irqls.add(Ke.KeGetCurrentIrql()), MemorySegment.NULL);
        assertTrue(kernel.interrupts().interrupt(0x62));
        assertEquals(List.of(11, 10), irqls);
        assertEquals(0, kernel.bugChecks().raisedCount());
        assertEquals(0, Ke.KeGetCurrentIrql());
    }

    @Test
    void shouldCountAnInterruptOnAVectorNobodyConnected() {
        boot();
        long before = kernel.interrupts().unclaimedCount();
        assertFalse(kernel.interrupts().interrupt(0x99));
        assertEquals(before + 1, kernel.interrupts().unclaimedCount());
        assertEquals(1, kernel.interrupts().unclaimedCount(0x99));
    }

    @Test
    void shouldReturnTheDocumentedStatusForEveryBadParameter() {
        boot();
        MemorySegment dev = device();
        MemorySegment out = block(8);
        KSERVICE_ROUTINE isr = (i, c) -> true;
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, IoConnectInterruptEx(MemorySegment.NULL));
        MemorySegment p = fullySpecified(dev, out, 0x70, 5, 5, false, MemorySegment.NULL);
        for (int v : new int[] {0, 6, 99, -1}) {
            p.set(JAVA_INT, IO_CONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET, v);
            assertEquals(NtStatus.STATUS_INVALID_PARAMETER_1, IoConnectInterruptEx(p, isr, null), "Version " + v);
        }
        p.set(JAVA_INT, IO_CONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET, 5);
        assertEquals(NtStatus.STATUS_NOT_SUPPORTED, IoConnectInterruptEx(p, isr, null), "CONNECT_MESSAGE_BASED_PASSIVE");
        record Bad(String what, long offset, int width, long value, int status) {
        }
        MemorySegment data = block(64);
        List<Bad> bad = List.of(
                new Bad("NULL PDO", IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.PHYSICAL_DEVICE_OBJECT_OFFSET, 8, 0, NtStatus.STATUS_INVALID_PARAMETER),
                new Bad("PDO that is no device", IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.PHYSICAL_DEVICE_OBJECT_OFFSET, 8,
                        data.address(), NtStatus.STATUS_INVALID_PARAMETER),
                new Bad("NULL InterruptObject", IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.INTERRUPT_OBJECT_OFFSET, 8, 0,
                        NtStatus.STATUS_INVALID_PARAMETER),
                new Bad("FloatingSave", IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.FLOATING_SAVE_OFFSET, 1, 1, NtStatus.STATUS_INVALID_PARAMETER),
                new Bad("Irql DISPATCH_LEVEL", IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.IRQL_OFFSET, 1, 2, NtStatus.STATUS_INVALID_PARAMETER),
                new Bad("Irql above HIGH_LEVEL", IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.IRQL_OFFSET, 1, 16, NtStatus.STATUS_INVALID_PARAMETER),
                new Bad("SynchronizeIrql below Irql", IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.SYNCHRONIZE_IRQL_OFFSET, 1, 4,
                        NtStatus.STATUS_INVALID_PARAMETER),
                new Bad("InterruptMode", IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.INTERRUPT_MODE_OFFSET, 4, 7, NtStatus.STATUS_INVALID_PARAMETER),
                new Bad("no processor", IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.PROCESSOR_ENABLE_MASK_OFFSET, 8, 0,
                        NtStatus.STATUS_INVALID_PARAMETER_10),
                new Bad("no processor of the kernel", IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.PROCESSOR_ENABLE_MASK_OFFSET, 8,
                        0xF0L, NtStatus.STATUS_INVALID_PARAMETER_10));
        for (Bad b : bad) {
            MemorySegment q = fullySpecified(dev, out, 0x70, 5, 5, false, MemorySegment.NULL);
            switch (b.width()) {
                case 1 -> q.set(JAVA_BYTE, FS + b.offset(), (byte) b.value());
                case 4 -> q.set(JAVA_INT, FS + b.offset(), (int) b.value());
                default -> q.set(JAVA_LONG, FS + b.offset(), b.value());
            }
            assertEquals(b.status(), IoConnectInterruptEx(q, isr, null), b.what());
        }
        MemorySegment noIsr = fullySpecified(dev, out, 0x70, 5, 5, false, MemorySegment.NULL);
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, IoConnectInterruptEx(noIsr), "NULL ServiceRoutine");
        MemorySegment group = fullySpecified(dev, out, 0x70, 5, 5, false, MemorySegment.NULL);
        group.set(JAVA_INT, IO_CONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET, CONNECT_FULLY_SPECIFIED_GROUP);
        group.set(JAVA_SHORT, FS + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.GROUP_OFFSET, (short) 1);
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, IoConnectInterruptEx(group, isr, null), "group 1 of a one-group kernel");
        group.set(JAVA_SHORT, FS + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.GROUP_OFFSET, (short) 0);
        assertEquals(NtStatus.STATUS_SUCCESS, IoConnectInterruptEx(group, isr, null));
        assertEquals(0L, kernel.interrupts().unclaimedCount(0x70));
        assertEquals(1, kernel.interrupts().connectedCount(0x70), "only the valid request connected");
        MemorySegment dataIsr = fullySpecified(dev, out, 0x71, 5, 5, false, MemorySegment.NULL);
        dataIsr.set(JAVA_LONG, FS + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.SERVICE_ROUTINE_OFFSET, data.address());
        BugCheck bc = assertThrows(BugCheck.class, () -> IoConnectInterruptEx(dataIsr));
        assertEquals(BugCheckCode.ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY, bc.code());
    }

    private MemorySegment lineBased(MemorySegment pdo, MemorySegment out, int synch) {
        MemorySegment p = block(PARAMS);
        p.set(JAVA_INT, IO_CONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET, CONNECT_LINE_BASED);
        p.set(JAVA_LONG, LB + IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS.PHYSICAL_DEVICE_OBJECT_OFFSET, pdo.address());
        p.set(JAVA_LONG, LB + IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS.INTERRUPT_OBJECT_OFFSET, out.address());
        p.set(JAVA_BYTE, LB + IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS.SYNCHRONIZE_IRQL_OFFSET, (byte) synch);
        return p;
    }

    @Test
    void shouldConnectTheLineTheDeviceWasGiven() {
        boot();
        MemorySegment dev = device();
        MemorySegment out = block(8);
        AtomicInteger runs = new AtomicInteger();
        KSERVICE_ROUTINE isr = (i, c) -> runs.incrementAndGet() > 0;
        assertEquals(NtStatus.STATUS_NOT_FOUND, IoConnectInterruptEx(lineBased(dev, out, 0), isr, null), "no interrupt assigned");
        MemorySegment msiOnly = device();
        kernel.interrupts().assignMessages(msiOnly, 4, 0xA0, 8);
        assertEquals(NtStatus.STATUS_INVALID_DEVICE_REQUEST, IoConnectInterruptEx(lineBased(msiOnly, out, 0), isr, null));
        kernel.interrupts().assignLine(dev, 0x33, 6);
        MemorySegment p = lineBased(dev, out, 0);
        assertEquals(NtStatus.STATUS_SUCCESS, IoConnectInterruptEx(p, isr, null));
        assertEquals(CONNECT_LINE_BASED, p.get(JAVA_INT, IO_CONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET));
        MemorySegment k = MemorySegment.ofAddress(out.get(JAVA_LONG, 0)).reinterpret(KINTERRUPT.X64.size());
        assertEquals(0x33, k.get(JAVA_INT, KINTERRUPT.VECTOR_OFFSET));
        assertEquals(6, k.get(JAVA_BYTE, KINTERRUPT.IRQL_OFFSET));
        assertEquals(6, k.get(JAVA_BYTE, KINTERRUPT.SYNCHRONIZE_IRQL_OFFSET), "SynchronizeIrql 0: the line's IRQL");
        assertEquals(1, k.get(JAVA_BYTE, KINTERRUPT.SHARE_VECTOR_OFFSET));
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, IoConnectInterruptEx(lineBased(dev, out, 5), isr, null), "below the line's IRQL");
        assertTrue(kernel.interrupts().interrupt(0x33));
        assertEquals(1, runs.get());
        disconnect(CONNECT_LINE_BASED, k);
        assertThrows(IllegalArgumentException.class, () -> disconnect(CONNECT_LINE_BASED, k), "disconnected already");
    }

    private MemorySegment messageBased(MemorySegment pdo, MemorySegment out) {
        MemorySegment p = block(PARAMS);
        p.set(JAVA_INT, IO_CONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET, CONNECT_MESSAGE_BASED);
        p.set(JAVA_LONG, MB + IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS.PHYSICAL_DEVICE_OBJECT_OFFSET, pdo.address());
        p.set(JAVA_LONG, MB + IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS.CONNECTION_CONTEXT_OFFSET, out.address());
        return p;
    }

    @Test
    void shouldConnectEveryMessageAndReturnTheMessageTable() {
        boot();
        MemorySegment dev = device();
        MemorySegment out = block(8);
        kernel.interrupts().assignMessages(dev, 3, 0xB0, 9);
        List<String> calls = new ArrayList<>();
        MemorySegment p = messageBased(dev, out);
        assertEquals(NtStatus.STATUS_SUCCESS, IoConnectInterruptEx(p, null, (interrupt, c, id) -> {
            calls.add(id + "@" + Ke.KeGetCurrentIrql());
            return true;
        }));
        assertEquals(CONNECT_MESSAGE_BASED, p.get(JAVA_INT, IO_CONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET));
        long entry = IO_INTERRUPT_MESSAGE_INFO_ENTRY.X64.size();
        MemorySegment table = MemorySegment.ofAddress(out.get(JAVA_LONG, 0)).reinterpret(IO_INTERRUPT_MESSAGE_INFO.MESSAGE_INFO_OFFSET + 3 * entry);
        assertEquals(9, table.get(JAVA_BYTE, IO_INTERRUPT_MESSAGE_INFO.UNIFIED_IRQL_OFFSET));
        assertEquals(3, table.get(JAVA_INT, IO_INTERRUPT_MESSAGE_INFO.MESSAGE_COUNT_OFFSET));
        long firstLock = 0;
        for (int i = 0; i < 3; i++) {
            long e = IO_INTERRUPT_MESSAGE_INFO.MESSAGE_INFO_OFFSET + i * entry;
            assertEquals(0xB0 + i, table.get(JAVA_INT, e + IO_INTERRUPT_MESSAGE_INFO_ENTRY.VECTOR_OFFSET));
            assertEquals(9, table.get(JAVA_BYTE, e + IO_INTERRUPT_MESSAGE_INFO_ENTRY.IRQL_OFFSET));
            MemorySegment k = MemorySegment.ofAddress(table.get(JAVA_LONG, e + IO_INTERRUPT_MESSAGE_INFO_ENTRY.INTERRUPT_OBJECT_OFFSET))
                    .reinterpret(KINTERRUPT.X64.size());
            assertEquals(i, k.get(JAVA_INT, KINTERRUPT.MESSAGE_INDEX_OFFSET));
            assertNotEquals(0L, k.get(JAVA_LONG, KINTERRUPT.MESSAGE_SERVICE_ROUTINE_OFFSET));
            long lock = k.get(JAVA_LONG, KINTERRUPT.ACTUAL_LOCK_OFFSET);
            if (i == 0) {
                firstLock = lock;
            }
            assertEquals(firstLock, lock, "one lock serialises every message ISR of the device");
        }
        assertTrue(kernel.interrupts().message(dev, 2));
        assertTrue(kernel.interrupts().message(dev, 0));
        assertEquals(List.of("2@9", "0@9"), calls);
        assertThrows(IllegalArgumentException.class, () -> kernel.interrupts().message(dev, 3));
        disconnect(CONNECT_MESSAGE_BASED, table);
        assertFalse(kernel.interrupts().message(dev, 1));
        freeBlocks();
        Ob.ObDereferenceObject(dev);
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), kernel.leakReport().toString());
    }

    @Test
    void shouldFallBackToTheLineAndSayItInVersion() {
        boot();
        MemorySegment dev = device();
        MemorySegment out = block(8);
        AtomicInteger fallback = new AtomicInteger();
        assertEquals(NtStatus.STATUS_NOT_FOUND, IoConnectInterruptEx(messageBased(dev, out), (i, c) -> true, (i, c, id) -> true),
                "a device with no interrupt");
        kernel.interrupts().assignLine(dev, 0x44, 5);
        assertEquals(NtStatus.STATUS_NOT_FOUND, IoConnectInterruptEx(messageBased(dev, out), null, (i, c, id) -> true),
                "line only, no fallback routine");
        MemorySegment p = messageBased(dev, out);
        assertEquals(NtStatus.STATUS_SUCCESS, IoConnectInterruptEx(p, (i, c) -> fallback.incrementAndGet() > 0, (i, c, id) -> true));
        assertEquals(CONNECT_LINE_BASED, p.get(JAVA_INT, IO_CONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET), "Version says the fallback was connected");
        MemorySegment k = MemorySegment.ofAddress(out.get(JAVA_LONG, 0)).reinterpret(KINTERRUPT.X64.size());
        assertEquals(22, k.get(JAVA_SHORT, KINTERRUPT.TYPE_OFFSET), "ConnectionContext is the KINTERRUPT");
        assertTrue(kernel.interrupts().interrupt(0x44));
        assertEquals(1, fallback.get());
        disconnect(CONNECT_LINE_BASED, k);
    }

    @Test
    void shouldSynchronizeWithTheIsrAndRaiseToSynchronizeIrql() {
        boot();
        MemorySegment dev = device();
        MemorySegment k = connect(dev, 0x52, 5, 8, false, (i, c) -> true, MemorySegment.NULL);
        int old = Ke.KeAcquireInterruptSpinLock(k);
        assertEquals(0, old);
        assertEquals(8, Ke.KeGetCurrentIrql());
        assertNotEquals(0L, k.get(JAVA_LONG, KINTERRUPT.SPIN_LOCK_OFFSET));
        Ke.KeReleaseInterruptSpinLock(k, old);
        assertEquals(0, Ke.KeGetCurrentIrql());
        MemorySegment ctx = block(8);
        AtomicReference<String> seen = new AtomicReference<>();
        assertTrue(Ke.KeSynchronizeExecution(k, c -> {
            seen.set(Ke.KeGetCurrentIrql() + " " + (c.address() == ctx.address()));
            return true;
        }, ctx));
        assertEquals("8 true", seen.get());
        assertFalse(Ke.KeSynchronizeExecution(k, c -> false, MemorySegment.NULL));
        int raised = Ke.KeRaiseIrql(10);
        try {
            BugCheck bc = assertThrows(BugCheck.class, () -> Ke.KeAcquireInterruptSpinLock(k), "above SynchronizeIrql");
            assertEquals(BugCheckCode.IRQL_NOT_GREATER_OR_EQUAL, bc.code());
            IllegalStateException masked = assertThrows(IllegalStateException.class, () -> kernel.interrupts().interrupt(0x52));
            assertTrue(masked.getMessage().contains("masked"), masked.getMessage());
        } finally {
            Ke.KeLowerIrql(raised);
        }
        assertThrows(IllegalArgumentException.class, () -> Ke.KeSynchronizeExecution(block(KINTERRUPT.X64.size()), c -> true,
                MemorySegment.NULL), "not a KINTERRUPT");
    }

    @Test
    void shouldNeverRunTheIsrAndASynchronizedRoutineAtOnce() throws Exception {
        boot();
        MemorySegment dev = device();
        MemorySegment counter = block(16); // [0] the shared counter, [8] in-section flag
        KSERVICE_ROUTINE isr = (i, c) -> {
            if (c.reinterpret(16).get(JAVA_LONG, 8) != 0) {
                throw new IllegalStateException("the ISR ran inside KeSynchronizeExecution");
            }
            MemorySegment s = c.reinterpret(16);
            s.set(JAVA_LONG, 0, s.get(JAVA_LONG, 0) + 1); // a plain read-modify-write: only the lock makes it safe
            return true;
        };
        MemorySegment k = connect(dev, 0x53, 6, 6, false, isr, counter);
        int rounds = 20_000;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            threads.add(new Thread(() -> {
                try {
                    kernel.attach();
                    for (int i = 0; i < rounds; i++) {
                        assertTrue(kernel.interrupts().interrupt(0x53));
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
            threads.add(new Thread(() -> {
                try {
                    kernel.attach();
                    for (int i = 0; i < rounds; i++) {
                        Ke.KeSynchronizeExecution(k, c -> {
                            MemorySegment s = c.reinterpret(16);
                            s.set(JAVA_LONG, 8, 1L);
                            s.set(JAVA_LONG, 0, s.get(JAVA_LONG, 0) + 1);
                            s.set(JAVA_LONG, 8, 0L);
                            return true;
                        }, counter);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Thread t : threads) {
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(4L * rounds, counter.get(JAVA_LONG, 0), "no increment lost: the ISR and the synchronized routines excluded each other");
        assertEquals(2 * rounds, k.get(JAVA_INT, KINTERRUPT.DISPATCH_COUNT_OFFSET));
        assertEquals(2 * rounds, k.get(JAVA_INT, KINTERRUPT.SERVICE_COUNT_OFFSET));
        assertEquals(0, kernel.bugChecks().raisedCount());
    }

    @Test
    void shouldRunTheDpcTheIsrRequestsWhenTheInterruptReturns() {
        boot();
        MemorySegment dev = device();
        MemorySegment irp = block(16);
        MemorySegment ctx = block(8);
        List<String> events = new ArrayList<>();
        IoInitializeDpcRequest(dev, (dpc, deviceObject, i, c) -> events.add("dpc@" + Ke.KeGetCurrentIrql() + " "
                + (deviceObject.address() == dev.address()) + " " + (i.address() == irp.address()) + " " + (c.address() == ctx.address())
                + " " + (dpc.address() == dev.address() + DEVICE_OBJECT.DPC_OFFSET)));
        connect(dev, 0x54, 7, 7, false, (interrupt, c) -> {
            IoRequestDpc(dev, irp, ctx);
            IoRequestDpc(dev, irp, ctx); // queued already: dropped
            events.add("isr@" + Ke.KeGetCurrentIrql());
            return true;
        }, MemorySegment.NULL);
        assertTrue(kernel.interrupts().interrupt(0x54));
        assertEquals(List.of("isr@7", "dpc@2 true true true true"), events);
        assertThrows(IllegalArgumentException.class, () -> IoInitializeDpcRequest(irp, (d, o, i, c) -> { }));
        assertThrows(IllegalArgumentException.class, () -> IoRequestDpc(MemorySegment.NULL, irp, ctx));
    }

    @Test
    void shouldBugCheckWhenAnExceptionEscapesTheIsrAndReleaseItsLock() {
        boot();
        MemorySegment dev = device();
        AtomicInteger calls = new AtomicInteger();
        MemorySegment k = connect(dev, 0x55, 5, 5, false, (i, c) -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalArgumentException("boom");
            }
            return true;
        }, MemorySegment.NULL);
        BugCheck bc = assertThrows(BugCheck.class, () -> kernel.interrupts().interrupt(0x55));
        assertEquals(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, bc.code());
        assertEquals(k.address(), bc.parameter3());
        assertEquals(0, Ke.KeGetCurrentIrql());
        assertEquals(0L, k.get(JAVA_LONG, KINTERRUPT.SPIN_LOCK_OFFSET));
        assertTrue(kernel.interrupts().interrupt(0x55));
    }

    @Test
    void shouldRefuseBadDisconnectRequests() {
        boot();
        MemorySegment data = block(64);
        assertThrows(IllegalArgumentException.class, () -> IoDisconnectInterruptEx(MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class, () -> disconnect(CONNECT_FULLY_SPECIFIED, data));
        assertThrows(IllegalArgumentException.class, () -> disconnect(CONNECT_MESSAGE_BASED, data));
        assertThrows(IllegalArgumentException.class, () -> disconnect(9, data));
        assertThrows(IllegalArgumentException.class, () -> kernel.interrupts().assignLine(data, 1, 2), "not a device IRQL");
        InterruptController c = kernel.interrupts();
        assertThrows(IllegalArgumentException.class, () -> c.assignMessages(data, 0, 1, 5));
    }
}
