package dev.offkern.tests.fuzz;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Io;
import dev.offkern.ddi.Ke;
import dev.offkern.ddi.Ob;
import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS;
import dev.offkern.layout.io.IO_CONNECT_INTERRUPT_PARAMETERS;
import dev.offkern.layout.io.IO_DISCONNECT_INTERRUPT_PARAMETERS;
import dev.offkern.nt.IO_DPC_ROUTINE;
import dev.offkern.nt.KSERVICE_ROUTINE;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Interrupts: each step makes a Device object of its own, connects 1-3 ISRs fully specified on a
 * vector only its thread uses (shared or not, random device IRQLs), delivers interrupts through
 * the kernel's controller (some ISRs request the device's DPC), synchronizes with
 * KeSynchronizeExecution and the interrupt spin lock, and disconnects. Invariants: every delivered
 * interrupt is claimed by exactly one ISR (the chain stops at the first TRUE), the DPC requests run
 * by the time the delivery returns. Hostile: bad versions, NULL blocks, a non-device PDO (a status),
 * disconnecting what is no connection (a clear exception).
 */
final class InterruptOps {
    private InterruptOps() {
    }

    static List<Op> ops() {
        return List.of(
                Op.of("interrupt.connect", 2, InterruptOps::connect, "IoConnectInterruptEx", "IoDisconnectInterruptEx",
                        "KeSynchronizeExecution", "KeAcquireInterruptSpinLock", "KeReleaseInterruptSpinLock", "IoInitializeDpcRequest",
                        "IoRequestDpc", "IoDeviceObjectType", "ObCreateObject", "ObDereferenceObject"),
                Op.of("interrupt.hostile", 1, InterruptOps::hostile, "IoConnectInterruptEx", "IoDisconnectInterruptEx",
                        "KeSynchronizeExecution", "IoRequestDpc"));
    }

    /** Claims per ISR context (the context's address). */
    private static final ConcurrentHashMap<Long, AtomicLong> CLAIMS = new ConcurrentHashMap<>();
    /** ISR: claims when the context block's first byte is set (the step decides which ISR of a chain claims). */
    private static final KSERVICE_ROUTINE ISR = (interrupt, context) -> {
        MemorySegment c = context.reinterpret(16);
        if (c.get(JAVA_BYTE, 0) == 0) {
            return false;
        }
        CLAIMS.computeIfAbsent(context.address(), k -> new AtomicLong()).incrementAndGet();
        long device = c.get(JAVA_LONG, 8);
        if (device != 0) {
            Io.IoRequestDpc(MemorySegment.ofAddress(device), MemorySegment.NULL, context);
        }
        return true;
    };
    private static final AtomicLong DPCS = new AtomicLong();
    private static final IO_DPC_ROUTINE DPC = (dpc, device, irp, context) -> DPCS.incrementAndGet();

    private static MemorySegment pool(Ctx c, long size) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, size, World.TAG);
        if (b.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("fuzzer: no pool");
        }
        c.after.add(x -> Ex.ExFreePool(b));
        return b;
    }

    static void connect(Ctx c) {
        MemorySegment out = pool(c, 8);
        if (Ob.ObCreateObject(0, Io.IoDeviceObjectType(), MemorySegment.NULL, 0, MemorySegment.NULL, (int) DEVICE_OBJECT.X64.size(),
                0, 0, out) != NtStatus.STATUS_SUCCESS) {
            return;
        }
        MemorySegment device = MemorySegment.ofAddress(out.get(JAVA_LONG, 0));
        c.after.add(x -> Ob.ObDereferenceObject(device));
        Io.IoInitializeDpcRequest(device, DPC);
        int vector = 0x200 + c.thread * 0x10 + c.n(4);
        int irql = 3 + c.n(10);
        boolean share = c.p(0.7);
        int n = share ? 1 + c.n(3) : 1;
        MemorySegment[] contexts = new MemorySegment[n];
        MemorySegment[] objects = new MemorySegment[n];
        int connected = 0;
        try {
            for (int i = 0; i < n; i++) {
                contexts[i] = pool(c, 16);
                contexts[i].set(JAVA_LONG, 8, c.p(0.5) ? device.address() : 0L);
                CLAIMS.put(contexts[i].address(), new AtomicLong());
                MemorySegment p = pool(c, IO_CONNECT_INTERRUPT_PARAMETERS.X64.size());
                MemorySegment slot = pool(c, 8);
                long fs = IO_CONNECT_INTERRUPT_PARAMETERS.FULLY_SPECIFIED_OFFSET;
                p.set(JAVA_INT, IO_CONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET, c.p(0.8) ? Io.CONNECT_FULLY_SPECIFIED
                        : Io.CONNECT_FULLY_SPECIFIED_GROUP);
                p.set(JAVA_LONG, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.PHYSICAL_DEVICE_OBJECT_OFFSET, device.address());
                p.set(JAVA_LONG, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.INTERRUPT_OBJECT_OFFSET, slot.address());
                p.set(JAVA_LONG, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.SERVICE_CONTEXT_OFFSET, contexts[i].address());
                p.set(JAVA_BYTE, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.SYNCHRONIZE_IRQL_OFFSET, (byte) (irql + c.n(2)));
                p.set(JAVA_BYTE, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.SHARE_VECTOR_OFFSET, (byte) (share ? 1 : 0));
                p.set(JAVA_INT, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.VECTOR_OFFSET, vector);
                p.set(JAVA_BYTE, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.IRQL_OFFSET, (byte) irql);
                p.set(JAVA_INT, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.INTERRUPT_MODE_OFFSET, c.n(2));
                p.set(JAVA_LONG, fs + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.PROCESSOR_ENABLE_MASK_OFFSET, 1L + c.n(3));
                c.note("connect vector 0x" + Integer.toHexString(vector) + " irql " + irql + " share " + share);
                int st = Io.IoConnectInterruptEx(p, ISR, null);
                if (st != NtStatus.STATUS_SUCCESS) {
                    throw new FuzzInvariantException("IoConnectInterruptEx of a valid block returned 0x" + Integer.toHexString(st));
                }
                objects[i] = MemorySegment.ofAddress(slot.get(JAVA_LONG, 0));
                connected++;
            }
            int claimer = c.n(n + 1); // n: nobody claims
            for (int i = 0; i < n; i++) {
                contexts[i].set(JAVA_BYTE, 0, (byte) (i >= claimer ? 1 : 0)); // the first willing ISR in the chain claims
            }
            int rounds = 1 + c.n(20);
            long dpcsBefore = DPCS.get();
            for (int r = 0; r < rounds; r++) {
                boolean claimed = c.w.kernel.interrupts().interrupt(vector);
                if (claimed != (claimer < n)) {
                    throw new FuzzInvariantException("interrupt on vector 0x" + Integer.toHexString(vector) + " claimed=" + claimed
                            + " with claimer " + claimer + " of " + n);
                }
                if (c.p(0.3)) {
                    MemorySegment k = objects[c.n(n)];
                    if (c.p(0.5)) {
                        Ke.KeSynchronizeExecution(k, ctx -> true, MemorySegment.NULL);
                    } else {
                        int old = Ke.KeAcquireInterruptSpinLock(k);
                        Ke.KeReleaseInterruptSpinLock(k, old);
                    }
                }
            }
            long expected = claimer < n ? rounds : 0;
            long got = claimer < n ? CLAIMS.get(contexts[claimer].address()).get() : 0;
            if (got != expected) {
                throw new FuzzInvariantException("ISR " + claimer + " claimed " + got + " of " + expected + " interrupts");
            }
            if (claimer < n && contexts[claimer].get(JAVA_LONG, 8) != 0 && DPCS.get() - dpcsBefore < rounds) {
                throw new FuzzInvariantException("the device's DPC ran " + (DPCS.get() - dpcsBefore) + " times for " + rounds
                        + " interrupts that requested it");
            }
        } finally {
            for (int i = 0; i < connected; i++) {
                MemorySegment d = pool(c, IO_DISCONNECT_INTERRUPT_PARAMETERS.X64.size());
                d.set(JAVA_INT, IO_DISCONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET, Io.CONNECT_FULLY_SPECIFIED);
                d.set(JAVA_LONG, IO_DISCONNECT_INTERRUPT_PARAMETERS.CONNECTION_CONTEXT_OFFSET, objects[i].address());
                Io.IoDisconnectInterruptEx(d);
                CLAIMS.remove(contexts[i].address());
            }
        }
    }

    static void hostile(Ctx c) {
        MemorySegment b = pool(c, 64);
        switch (c.n(5)) {
            case 0 -> Io.IoConnectInterruptEx(c.p(0.5) ? MemorySegment.NULL : b, ISR, null);
            case 1 -> {
                b.set(JAVA_INT, 0, c.anyInt());
                int st = Io.IoConnectInterruptEx(b, ISR, null); // a PDO of zero: STATUS_INVALID_PARAMETER or a version status
                if (st == NtStatus.STATUS_SUCCESS) {
                    throw new FuzzInvariantException("IoConnectInterruptEx connected a block with no device object");
                }
            }
            case 2 -> {
                b.set(JAVA_INT, 0, 1 + c.n(4));
                b.set(JAVA_LONG, 8, b.address());
                Io.IoDisconnectInterruptEx(b); // no connection: IllegalArgumentException
            }
            case 3 -> Ke.KeSynchronizeExecution(b, ctx -> true, MemorySegment.NULL); // no KINTERRUPT: IllegalArgumentException
            default -> Io.IoRequestDpc(b, MemorySegment.NULL, MemorySegment.NULL); // no device object: IllegalArgumentException
        }
    }
}
