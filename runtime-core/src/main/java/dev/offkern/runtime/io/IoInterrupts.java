package dev.offkern.runtime.io;

import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS;
import dev.offkern.layout.io.IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS;
import dev.offkern.layout.io.IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS;
import dev.offkern.layout.io.IO_CONNECT_INTERRUPT_PARAMETERS;
import dev.offkern.layout.io.IO_DISCONNECT_INTERRUPT_PARAMETERS;
import dev.offkern.layout.io.IO_INTERRUPT_MESSAGE_INFO;
import dev.offkern.layout.io.IO_INTERRUPT_MESSAGE_INFO_ENTRY;
import dev.offkern.nt.InterruptConnect;
import dev.offkern.nt.KDEFERRED_ROUTINE;
import dev.offkern.nt.KMESSAGE_SERVICE_ROUTINE;
import dev.offkern.nt.KSERVICE_ROUTINE;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.ke.InterruptController;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.ke.KeDpc;
import dev.offkern.runtime.ke.KeInterrupt;
import dev.offkern.runtime.ke.KernelCore;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.ob.ObjectManager;
import dev.offkern.runtime.pool.Pool;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Interrupt connection for drivers: {@code IoConnectInterruptEx}, {@code IoDisconnectInterruptEx}
 * (on the byte-exact parameter blocks: IO_CONNECT_INTERRUPT_PARAMETERS with its three arms,
 * IO_DISCONNECT_INTERRUPT_PARAMETERS, IO_INTERRUPT_MESSAGE_INFO) and the device object's DPC for
 * the ISR ({@code IoInitializeDpcRequest}, {@code IoRequestDpc}). One instance per kernel.
 *
 * <h2>IoConnectInterruptEx by Version</h2>
 * <ul>
 *   <li>CONNECT_FULLY_SPECIFIED (and _GROUP, group 0 only): a KINTERRUPT (nonpaged pool, tag
 *       'KInt') for the vector, IRQLs, mode, sharing and lock given; {@code *InterruptObject} is set.</li>
 *   <li>CONNECT_LINE_BASED: the line the device's PDO was given ({@link InterruptController#assignLine});
 *       SynchronizeIrql 0 means the line's IRQL; the line is shareable, level-sensitive.
 *       STATUS_INVALID_DEVICE_REQUEST if the device has messages instead, STATUS_NOT_FOUND if it has
 *       no interrupt.</li>
 *   <li>CONNECT_MESSAGE_BASED: with messages assigned, one KINTERRUPT per message (all serialised by
 *       one lock: the caller's SpinLock or the first object's own), every ISR at the UnifiedIrql
 *       (max(SynchronizeIrql, the messages' IRQL)), and an IO_INTERRUPT_MESSAGE_INFO table in
 *       {@code *ConnectionContext}; Version stays CONNECT_MESSAGE_BASED. A device with only a line
 *       and a FallBackServiceRoutine: that routine is connected line-based, {@code *ConnectionContext}
 *       is its KINTERRUPT and Version becomes CONNECT_LINE_BASED (Windows' fallback). Neither:
 *       STATUS_NOT_FOUND.</li>
 *   <li>Another Version: STATUS_INVALID_PARAMETER_1 (CONNECT_MESSAGE_BASED_PASSIVE:
 *       STATUS_NOT_SUPPORTED — offkern has no passive-level interrupts).</li>
 * </ul>
 * Errors as documented: a NULL or non-device PhysicalDeviceObject, a NULL out pointer or routine,
 * FloatingSave TRUE (x64), an IRQL that is no device IRQL, SynchronizeIrql below Irql, a mode that
 * is neither LevelSensitive nor Latched, a vector taken without sharing: STATUS_INVALID_PARAMETER;
 * a ProcessorEnableMask naming none of the kernel's processors: STATUS_INVALID_PARAMETER_10; no
 * pool: STATUS_INSUFFICIENT_RESOURCES. A routine pointer that is no routine is the bug check
 * calling it would be (0xFC or 0x50), raised at connection. IRQL: PASSIVE_LEVEL (verifier).
 *
 * <p>Progress: blocking (the controller's write lock, the pool). Thread-safe.
 */
public final class IoInterrupts {
    /** The pool tag of KINTERRUPTs and message tables. */
    public static final int TAG = PoolTags.tag("KInt");

    private final KernelCore core;
    private final ObjectManager ob;
    private final Pool nonPaged;
    private final InterruptController controller;
    /** KINTERRUPTs and message tables this manager made and has not freed (IoDisconnectInterruptEx's check). */
    private final Set<Long> interrupts = ConcurrentHashMap.newKeySet();
    private final Set<Long> tables = ConcurrentHashMap.newKeySet();
    /** KINTERRUPT → the owner id of the driver whose code connected it (absent: none); docs/io.md "Attribution". */
    private final Map<Long, Integer> owners = new ConcurrentHashMap<>();

    public IoInterrupts(KernelCore core, ObjectManager ob, Pool nonPaged, InterruptController controller) {
        this.core = core;
        this.ob = ob;
        this.nonPaged = nonPaged;
        this.controller = controller;
    }

    /**
     * The KINTERRUPTs connected now (IoConnectInterruptEx's, message-based ones included), each with
     * the owner id of the driver whose code connected it (0: none): the I/O manager's unload check.
     */
    public Map<Long, Integer> connected() {
        Map<Long, Integer> out = new java.util.HashMap<>();
        for (Long k : interrupts) {
            out.put(k, owners.getOrDefault(k, 0));
        }
        return out;
    }

    // ===== IoConnectInterruptEx =====

    /**
     * IoConnectInterruptEx with Java routines: each non-null one is written into the block's routine
     * field as its upcall stub first (FullySpecified/LineBased.ServiceRoutine, or
     * MessageBased.MessageServiceRoutine and FallBackServiceRoutine), then as {@link #connect(MemorySegment)}.
     */
    public int connect(MemorySegment parameters, KSERVICE_ROUTINE serviceRoutine, KMESSAGE_SERVICE_ROUTINE messageRoutine) {
        MemorySegment p = block(parameters);
        if (p == null) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        int version = p.get(JAVA_INT, IO_CONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET);
        long isr = serviceRoutine == null ? 0 : KeInterrupt.stubOf(core, serviceRoutine);
        long msg = messageRoutine == null ? 0 : KeInterrupt.stubOf(core, messageRoutine);
        switch (version) {
            case InterruptConnect.CONNECT_FULLY_SPECIFIED, InterruptConnect.CONNECT_FULLY_SPECIFIED_GROUP -> {
                if (isr != 0) {
                    p.set(JAVA_LONG, IO_CONNECT_INTERRUPT_PARAMETERS.FULLY_SPECIFIED_OFFSET
                            + IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.SERVICE_ROUTINE_OFFSET, isr);
                }
            }
            case InterruptConnect.CONNECT_LINE_BASED -> {
                if (isr != 0) {
                    p.set(JAVA_LONG, IO_CONNECT_INTERRUPT_PARAMETERS.LINE_BASED_OFFSET
                            + IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS.SERVICE_ROUTINE_OFFSET, isr);
                }
            }
            case InterruptConnect.CONNECT_MESSAGE_BASED -> {
                long base = IO_CONNECT_INTERRUPT_PARAMETERS.MESSAGE_BASED_OFFSET;
                if (msg != 0) {
                    p.set(JAVA_LONG, base + IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS.MESSAGE_SERVICE_ROUTINE_OFFSET, msg);
                }
                if (isr != 0) {
                    p.set(JAVA_LONG, base + IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS.FALL_BACK_SERVICE_ROUTINE_OFFSET, isr);
                }
            }
            default -> {
                // the version check below reports it
            }
        }
        return connect(parameters);
    }

    /** {@code NTSTATUS IoConnectInterruptEx(PIO_CONNECT_INTERRUPT_PARAMETERS Parameters)}: see the class comment. */
    public int connect(MemorySegment parameters) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "IoConnectInterruptEx");
        }
        ThreadState.current();
        MemorySegment p = block(parameters);
        if (p == null) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        int version = p.get(JAVA_INT, IO_CONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET);
        return switch (version) {
            case InterruptConnect.CONNECT_FULLY_SPECIFIED, InterruptConnect.CONNECT_FULLY_SPECIFIED_GROUP ->
                    fullySpecified(p.asSlice(IO_CONNECT_INTERRUPT_PARAMETERS.FULLY_SPECIFIED_OFFSET),
                            version == InterruptConnect.CONNECT_FULLY_SPECIFIED_GROUP);
            case InterruptConnect.CONNECT_LINE_BASED -> lineBased(p.asSlice(IO_CONNECT_INTERRUPT_PARAMETERS.LINE_BASED_OFFSET));
            case InterruptConnect.CONNECT_MESSAGE_BASED -> messageBased(p);
            case InterruptConnect.CONNECT_MESSAGE_BASED_PASSIVE -> NtStatus.STATUS_NOT_SUPPORTED;
            default -> NtStatus.STATUS_INVALID_PARAMETER_1;
        };
    }

    /** The parameter block, bounded (registered memory, else 0x50); null for NULL. */
    private MemorySegment block(MemorySegment parameters) {
        if (parameters == null || parameters.address() == 0) {
            return null;
        }
        long size = IO_CONNECT_INTERRUPT_PARAMETERS.X64.size();
        return parameters.isNative() && parameters.byteSize() >= size ? parameters.asSlice(0, size)
                : core.addressSpace().resolve(parameters.address(), size);
    }

    private int fullySpecified(MemorySegment f, boolean group) {
        long pdo = f.get(JAVA_LONG, IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.PHYSICAL_DEVICE_OBJECT_OFFSET);
        long out = f.get(JAVA_LONG, IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.INTERRUPT_OBJECT_OFFSET);
        long isr = f.get(JAVA_LONG, IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.SERVICE_ROUTINE_OFFSET);
        long context = f.get(JAVA_LONG, IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.SERVICE_CONTEXT_OFFSET);
        long lock = f.get(JAVA_LONG, IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.SPIN_LOCK_OFFSET);
        int synch = f.get(JAVA_BYTE, IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.SYNCHRONIZE_IRQL_OFFSET) & 0xFF;
        boolean floatingSave = f.get(JAVA_BOOLEAN, IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.FLOATING_SAVE_OFFSET);
        boolean share = f.get(JAVA_BOOLEAN, IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.SHARE_VECTOR_OFFSET);
        int vector = f.get(JAVA_INT, IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.VECTOR_OFFSET);
        int irql = f.get(JAVA_BYTE, IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.IRQL_OFFSET) & 0xFF;
        int mode = f.get(JAVA_INT, IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.INTERRUPT_MODE_OFFSET);
        long mask = f.get(JAVA_LONG, IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.PROCESSOR_ENABLE_MASK_OFFSET);
        int groupNumber = f.get(JAVA_SHORT, IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS.GROUP_OFFSET) & 0xFFFF;
        if (!isDevice(pdo) || out == 0 || isr == 0 || floatingSave || (group && groupNumber != 0)
                || !deviceIrql(irql) || synch < irql || synch > Irql.HIGH_LEVEL
                || (mode != InterruptConnect.LevelSensitive && mode != InterruptConnect.Latched)) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        long processors = core.processorCount() >= 64 ? -1L : (1L << core.processorCount()) - 1;
        if ((mask & processors) == 0) {
            return NtStatus.STATUS_INVALID_PARAMETER_10;
        }
        checkRoutine(isr, "ServiceRoutine");
        MemorySegment outSlot = core.addressSpace().resolve(out, 8);
        MemorySegment lockWord = lock == 0 ? null : core.addressSpace().resolve(lock, 8); // registered memory (else 0x50)
        MemorySegment k = newInterrupt();
        if (k == null) {
            return NtStatus.STATUS_INSUFFICIENT_RESOURCES;
        }
        KeInterrupt.initialize(k, isr, false, 0, context, lockWord == null ? 0 : lock, vector, irql, synch, share, mode,
                InterruptConnect.InterruptPolarityUnknown, pdo);
        if (!controller.connect(k)) {
            freeInterrupt(k);
            return NtStatus.STATUS_INVALID_PARAMETER; // the vector is taken and not shared
        }
        outSlot.set(JAVA_LONG, 0, k.address());
        return NtStatus.STATUS_SUCCESS;
    }

    private int lineBased(MemorySegment l) {
        long pdo = l.get(JAVA_LONG, IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS.PHYSICAL_DEVICE_OBJECT_OFFSET);
        long out = l.get(JAVA_LONG, IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS.INTERRUPT_OBJECT_OFFSET);
        long isr = l.get(JAVA_LONG, IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS.SERVICE_ROUTINE_OFFSET);
        long context = l.get(JAVA_LONG, IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS.SERVICE_CONTEXT_OFFSET);
        long lock = l.get(JAVA_LONG, IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS.SPIN_LOCK_OFFSET);
        int synch = l.get(JAVA_BYTE, IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS.SYNCHRONIZE_IRQL_OFFSET) & 0xFF;
        boolean floatingSave = l.get(JAVA_BOOLEAN, IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS.FLOATING_SAVE_OFFSET);
        if (!isDevice(pdo) || out == 0 || isr == 0 || floatingSave) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        InterruptController.Line line = controller.lineOf(pdo);
        if (line == null) {
            return controller.messagesOf(pdo) != null ? NtStatus.STATUS_INVALID_DEVICE_REQUEST : NtStatus.STATUS_NOT_FOUND;
        }
        return connectLine(pdo, line, isr, context, lock, synch, out);
    }

    private int connectLine(long pdo, InterruptController.Line line, long isr, long context, long lock, int synch, long out) {
        int s = synch == 0 ? line.irql() : synch;
        if (s < line.irql() || s > Irql.HIGH_LEVEL) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        checkRoutine(isr, "ServiceRoutine");
        MemorySegment outSlot = core.addressSpace().resolve(out, 8);
        if (lock != 0) {
            core.addressSpace().resolve(lock, 8);
        }
        MemorySegment k = newInterrupt();
        if (k == null) {
            return NtStatus.STATUS_INSUFFICIENT_RESOURCES;
        }
        KeInterrupt.initialize(k, isr, false, 0, context, lock, line.vector(), line.irql(), s, true, InterruptConnect.LevelSensitive,
                InterruptConnect.InterruptActiveLow, pdo);
        if (!controller.connect(k)) {
            freeInterrupt(k);
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        outSlot.set(JAVA_LONG, 0, k.address());
        return NtStatus.STATUS_SUCCESS;
    }

    private int messageBased(MemorySegment p) {
        MemorySegment m = p.asSlice(IO_CONNECT_INTERRUPT_PARAMETERS.MESSAGE_BASED_OFFSET);
        long pdo = m.get(JAVA_LONG, IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS.PHYSICAL_DEVICE_OBJECT_OFFSET);
        long out = m.get(JAVA_LONG, IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS.CONNECTION_CONTEXT_OFFSET);
        long msgIsr = m.get(JAVA_LONG, IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS.MESSAGE_SERVICE_ROUTINE_OFFSET);
        long context = m.get(JAVA_LONG, IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS.SERVICE_CONTEXT_OFFSET);
        long lock = m.get(JAVA_LONG, IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS.SPIN_LOCK_OFFSET);
        int synch = m.get(JAVA_BYTE, IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS.SYNCHRONIZE_IRQL_OFFSET) & 0xFF;
        boolean floatingSave = m.get(JAVA_BOOLEAN, IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS.FLOATING_SAVE_OFFSET);
        long fallback = m.get(JAVA_LONG, IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS.FALL_BACK_SERVICE_ROUTINE_OFFSET);
        if (!isDevice(pdo) || out == 0 || floatingSave || synch > Irql.HIGH_LEVEL) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        InterruptController.Messages messages = controller.messagesOf(pdo);
        if (messages == null) {
            InterruptController.Line line = controller.lineOf(pdo);
            if (line == null || fallback == 0) {
                return NtStatus.STATUS_NOT_FOUND;
            }
            int st = connectLine(pdo, line, fallback, context, lock, synch, out);
            if (st == NtStatus.STATUS_SUCCESS) {
                p.set(JAVA_INT, IO_CONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET, InterruptConnect.CONNECT_LINE_BASED); // the fallback was connected
            }
            return st;
        }
        if (msgIsr == 0) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        checkRoutine(msgIsr, "MessageServiceRoutine");
        MemorySegment outSlot = core.addressSpace().resolve(out, 8);
        if (lock != 0) {
            core.addressSpace().resolve(lock, 8);
        }
        int unified = Math.max(synch, messages.irql());
        int n = messages.count();
        long entrySize = IO_INTERRUPT_MESSAGE_INFO_ENTRY.X64.size();
        long tableSize = IO_INTERRUPT_MESSAGE_INFO.MESSAGE_INFO_OFFSET + n * entrySize;
        long t = nonPaged.allocate(tableSize, TAG, 0);
        if (t == 0) {
            return NtStatus.STATUS_INSUFFICIENT_RESOURCES;
        }
        MemorySegment table = core.addressSpace().resolve(t, tableSize);
        table.fill((byte) 0);
        table.set(JAVA_BYTE, IO_INTERRUPT_MESSAGE_INFO.UNIFIED_IRQL_OFFSET, (byte) unified);
        table.set(JAVA_INT, IO_INTERRUPT_MESSAGE_INFO.MESSAGE_COUNT_OFFSET, n);
        long sharedLock = lock;
        long processors = core.processorCount() >= 64 ? -1L : (1L << core.processorCount()) - 1;
        int connected = 0;
        for (int i = 0; i < n; i++) {
            MemorySegment k = newInterrupt();
            if (k == null) {
                disconnectTable(table, connected);
                return NtStatus.STATUS_INSUFFICIENT_RESOURCES;
            }
            int vector = messages.firstVector() + i;
            KeInterrupt.initialize(k, msgIsr, true, i, context, sharedLock, vector, messages.irql(), unified, false,
                    InterruptConnect.Latched, InterruptConnect.InterruptActiveHigh, pdo);
            if (sharedLock == 0) {
                sharedLock = k.address() + dev.offkern.layout.ke.KINTERRUPT.SPIN_LOCK_OFFSET; // every message ISR takes the first object's lock
            }
            MemorySegment e = table.asSlice(IO_INTERRUPT_MESSAGE_INFO.MESSAGE_INFO_OFFSET + i * entrySize, entrySize);
            e.set(JAVA_LONG, IO_INTERRUPT_MESSAGE_INFO_ENTRY.INTERRUPT_OBJECT_OFFSET, k.address());
            if (!controller.connect(k)) {
                freeInterrupt(k);
                disconnectTable(table, connected);
                return NtStatus.STATUS_INVALID_PARAMETER; // a message vector is taken
            }
            connected++;
            e.set(JAVA_LONG, IO_INTERRUPT_MESSAGE_INFO_ENTRY.MESSAGE_ADDRESS_OFFSET, MSI_ADDRESS);
            e.set(JAVA_LONG, IO_INTERRUPT_MESSAGE_INFO_ENTRY.TARGET_PROCESSOR_SET_OFFSET, processors);
            e.set(JAVA_INT, IO_INTERRUPT_MESSAGE_INFO_ENTRY.MESSAGE_DATA_OFFSET, vector);
            e.set(JAVA_INT, IO_INTERRUPT_MESSAGE_INFO_ENTRY.VECTOR_OFFSET, vector);
            e.set(JAVA_BYTE, IO_INTERRUPT_MESSAGE_INFO_ENTRY.IRQL_OFFSET, (byte) messages.irql());
            e.set(JAVA_INT, IO_INTERRUPT_MESSAGE_INFO_ENTRY.MODE_OFFSET, InterruptConnect.Latched);
            e.set(JAVA_INT, IO_INTERRUPT_MESSAGE_INFO_ENTRY.POLARITY_OFFSET, InterruptConnect.InterruptActiveHigh);
        }
        tables.add(t);
        outSlot.set(JAVA_LONG, 0, t);
        return NtStatus.STATUS_SUCCESS;
    }

    /** The x86/x64 local APIC's MSI address window (what MessageAddress holds). */
    private static final long MSI_ADDRESS = 0xFEE0_0000L;

    private void disconnectTable(MemorySegment table, int count) {
        long entrySize = IO_INTERRUPT_MESSAGE_INFO_ENTRY.X64.size();
        for (int i = 0; i < count; i++) {
            long k = table.get(JAVA_LONG, IO_INTERRUPT_MESSAGE_INFO.MESSAGE_INFO_OFFSET + i * entrySize
                    + IO_INTERRUPT_MESSAGE_INFO_ENTRY.INTERRUPT_OBJECT_OFFSET);
            MemorySegment ks = core.addressSpace().resolve(k, KeInterrupt.KINTERRUPT_SIZE);
            controller.disconnect(ks);
            freeInterrupt(ks);
        }
        tables.remove(table.address());
        nonPaged.free(table.address(), TAG);
    }

    private MemorySegment newInterrupt() {
        long a = nonPaged.allocate(KeInterrupt.KINTERRUPT_SIZE, TAG, 0);
        if (a == 0) {
            return null;
        }
        interrupts.add(a);
        int owner = ThreadState.current().driverOwner();
        if (owner != 0) {
            owners.put(a, owner);
        }
        return core.addressSpace().resolve(a, KeInterrupt.KINTERRUPT_SIZE);
    }

    private void freeInterrupt(MemorySegment k) {
        owners.remove(k.address());
        interrupts.remove(k.address());
        nonPaged.free(k.address(), TAG);
    }

    private void checkRoutine(long routine, String what) {
        if (!KeInterrupt.isRoutine(core, routine)) {
            throw KeDpc.badRoutine(core, routine, 0, what + " of IoConnectInterruptEx");
        }
    }

    private static boolean deviceIrql(int irql) {
        return irql > Irql.DISPATCH_LEVEL && irql <= Irql.HIGH_LEVEL;
    }

    /** Whether {@code address} is a live Device object. */
    private boolean isDevice(long address) {
        return address != 0 && ob.typeIfObject(address) == ob.deviceType();
    }

    // ===== IoDisconnectInterruptEx =====

    /**
     * {@code VOID IoDisconnectInterruptEx(PIO_DISCONNECT_INTERRUPT_PARAMETERS Parameters)}: Version
     * is what IoConnectInterruptEx returned; ConnectionContext its KINTERRUPT or message table. When
     * it returns no service routine of the connection runs any more and its memory is freed.
     * IRQL: PASSIVE_LEVEL.
     *
     * @throws IllegalArgumentException for a NULL block, an unknown Version, or a ConnectionContext
     *         that is no connection IoConnectInterruptEx made (or was disconnected already)
     */
    public void disconnect(MemorySegment parameters) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "IoDisconnectInterruptEx");
        }
        ThreadState.current();
        if (parameters == null || parameters.address() == 0) {
            throw new IllegalArgumentException("IoDisconnectInterruptEx: Parameters is NULL");
        }
        long size = IO_DISCONNECT_INTERRUPT_PARAMETERS.X64.size();
        MemorySegment p = parameters.isNative() && parameters.byteSize() >= size ? parameters
                : core.addressSpace().resolve(parameters.address(), size);
        int version = p.get(JAVA_INT, IO_DISCONNECT_INTERRUPT_PARAMETERS.VERSION_OFFSET);
        long context = p.get(JAVA_LONG, IO_DISCONNECT_INTERRUPT_PARAMETERS.CONNECTION_CONTEXT_OFFSET);
        switch (version) {
            case InterruptConnect.CONNECT_FULLY_SPECIFIED, InterruptConnect.CONNECT_FULLY_SPECIFIED_GROUP,
                 InterruptConnect.CONNECT_LINE_BASED -> {
                if (!interrupts.contains(context)) {
                    throw new IllegalArgumentException("IoDisconnectInterruptEx: 0x" + Long.toHexString(context)
                            + " is no connected KINTERRUPT of IoConnectInterruptEx");
                }
                MemorySegment k = core.addressSpace().resolve(context, KeInterrupt.KINTERRUPT_SIZE);
                controller.disconnect(k);
                freeInterrupt(k);
            }
            case InterruptConnect.CONNECT_MESSAGE_BASED -> {
                if (!tables.contains(context)) {
                    throw new IllegalArgumentException("IoDisconnectInterruptEx: 0x" + Long.toHexString(context)
                            + " is no IO_INTERRUPT_MESSAGE_INFO of IoConnectInterruptEx");
                }
                MemorySegment head = core.addressSpace().resolve(context, IO_INTERRUPT_MESSAGE_INFO.MESSAGE_INFO_OFFSET);
                int n = head.get(JAVA_INT, IO_INTERRUPT_MESSAGE_INFO.MESSAGE_COUNT_OFFSET);
                long tableSize = IO_INTERRUPT_MESSAGE_INFO.MESSAGE_INFO_OFFSET + n * IO_INTERRUPT_MESSAGE_INFO_ENTRY.X64.size();
                disconnectTable(core.addressSpace().resolve(context, tableSize), n);
            }
            default -> throw new IllegalArgumentException("IoDisconnectInterruptEx: Version " + version
                    + " is none IoConnectInterruptEx returns (CONNECT_FULLY_SPECIFIED 1, CONNECT_LINE_BASED 2, CONNECT_MESSAGE_BASED 3,"
                    + " CONNECT_FULLY_SPECIFIED_GROUP 4)");
        }
    }

    // ===== the device object's DPC for the ISR =====

    /** The DEVICE_OBJECT at {@code device}, bounded; IllegalArgumentException if it is no Device object. */
    private MemorySegment device(MemorySegment device, String routine) {
        long a = device == null ? 0 : device.address();
        if (!isDevice(a)) {
            throw new IllegalArgumentException(routine + ": 0x" + Long.toHexString(a) + " is no device object");
        }
        return core.addressSpace().resolve(a, DEVICE_OBJECT.X64.size());
    }

    /**
     * {@code VOID IoInitializeDpcRequest(PDEVICE_OBJECT DeviceObject, PIO_DPC_ROUTINE DpcRoutine)}:
     * initializes DeviceObject->Dpc with the routine and the device object as its context. IRQL: PASSIVE_LEVEL.
     */
    public void initializeDpcRequest(MemorySegment deviceObject, KDEFERRED_ROUTINE routine) {
        MemorySegment d = device(deviceObject, "IoInitializeDpcRequest");
        KeDpc.initialize(d.asSlice(DEVICE_OBJECT.DPC_OFFSET, KeDpc.KDPC_SIZE), routine, d);
    }

    /** IoInitializeDpcRequest with a native routine pointer. */
    public void initializeDpcRequest(MemorySegment deviceObject, MemorySegment nativeRoutine) {
        MemorySegment d = device(deviceObject, "IoInitializeDpcRequest");
        KeDpc.initialize(d.asSlice(DEVICE_OBJECT.DPC_OFFSET, KeDpc.KDPC_SIZE), nativeRoutine, d);
    }

    /**
     * {@code VOID IoRequestDpc(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)}: queues
     * DeviceObject->Dpc with Irp and Context as its system arguments (from an ISR: it runs when the
     * interrupt's IRQL is lowered below DISPATCH_LEVEL). A request while the DPC is queued is
     * dropped (KeInsertQueueDpc's FALSE). IRQL: any (≥ DISPATCH_LEVEL normally: a device IRQL).
     */
    public boolean requestDpc(MemorySegment deviceObject, MemorySegment irp, MemorySegment context) {
        MemorySegment d = device(deviceObject, "IoRequestDpc");
        return KeDpc.insertQueueDpc(d.asSlice(DEVICE_OBJECT.DPC_OFFSET, KeDpc.KDPC_SIZE), irp == null ? 0 : irp.address(),
                context == null ? 0 : context.address());
    }
}
