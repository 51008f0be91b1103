package dev.offkern.runtime.io;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.offkern.layout.io.IO_STACK_LOCATION;
import dev.offkern.layout.io.IRP;
import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.IoCodes;
import java.lang.foreign.MemorySegment;

/**
 * IRPs and their stack locations: {@code IoAllocateIrp}, {@code IoSizeOfIrp}, {@code IoInitializeIrp},
 * {@code IoFreeIrp}, {@code IoReuseIrp}, {@code IoGetCurrentIrpStackLocation},
 * {@code IoGetNextIrpStackLocation}, {@code IoSkipCurrentIrpStackLocation},
 * {@code IoCopyCurrentIrpStackLocationToNext}, {@code IoMarkIrpPending}.
 *
 * <h2>Layout and invariants</h2>
 * An IRP is one block: the fixed IRP (0xD0 bytes, 16-aligned as wdm.h declares) followed by
 * StackCount IO_STACK_LOCATIONs (0x48 each); {@code Size} is the whole block
 * ({@code IoSizeOfIrp(StackCount)}). {@code CurrentLocation} counts from 1 (the first location, the
 * lowest driver's) to StackCount; it is StackCount + 1 before the IRP is first sent, so the next
 * location of a fresh IRP is the last one (the highest driver's). {@code Tail.Overlay.CurrentStackLocation}
 * always points at location CurrentLocation (one past the last when CurrentLocation = StackCount + 1):
 * {@code IRP + 0xD0 + (CurrentLocation - 1) * 0x48}. Every routine here checks the pointer against
 * that before it dereferences it (a corrupted IRP is an IllegalStateException naming the field,
 * never a write outside the block).
 *
 * <p>IoAllocateIrp takes the IRP from the non-paged pool under tag 'Irp ' with
 * AllocationFlags IRP_ALLOCATED_FIXED_SIZE; IoFreeIrp returns it, after poisoning Type (0) so that a
 * later IoCompleteRequest or IoFreeIrp of the freed IRP is MULTIPLE_IRP_COMPLETE_REQUESTS (0x44)
 * (under the verifier, IoFreeIrp of a non-IRP is DRIVER_VERIFIER_IOMANAGER_VIOLATION 0xC9/0x01).
 * IRQL: ≤ DISPATCH_LEVEL. Progress: the pool's (lock-free fast path); the stack-location routines
 * are wait-free. An IRP belongs to one thread at a time (its current owner): these routines do not
 * synchronize with each other.
 */
public final class IoIrp {
    /** Largest StackSize a CCHAR holds. */
    public static final int MAX_STACK_SIZE = 127;
    /** MULTIPLE_IRP_COMPLETE_REQUESTS P2: the object is no IRP (its Type is not IO_TYPE_IRP: freed, or never an IRP). */
    public static final int MULTIPLE_COMPLETE_NOT_AN_IRP = 1;
    /** MULTIPLE_IRP_COMPLETE_REQUESTS P2: CurrentLocation is beyond StackCount + 1. */
    public static final int MULTIPLE_COMPLETE_LOCATION = 2;
    /** MULTIPLE_IRP_COMPLETE_REQUESTS P2: the IRP already completed to the top and was not sent again. */
    public static final int MULTIPLE_COMPLETE_AGAIN = 3;
    /** DRIVER_VERIFIER_IOMANAGER_VIOLATION P1: IoFreeIrp of an object whose Type is not IO_TYPE_IRP. */
    public static final int DV_FREE_NOT_AN_IRP = 0x01;
    /**
     * AllocationFlags bit offkern sets when an IRP completed to the top (IoCompleteRequest) and clears
     * when it is sent again (IoCallDriver) or re-initialized: a second completion is 0x44.
     */
    static final int OFFKERN_IRP_COMPLETED = 0x80;
    /**
     * AllocationFlags bit offkern sets on a request sent through a file handle (ZwReadFile,
     * ZwWriteFile, ZwDeviceIoControlFile) that holds a reference on its OriginalFileObject: the
     * completion at the top drops it.
     */
    static final int OFFKERN_IRP_FILE_REFERENCED = 0x40;

    private IoIrp() {
    }

    /** {@code IoSizeOfIrp(StackSize)}: sizeof(IRP) + StackSize * sizeof(IO_STACK_LOCATION). */
    public static int sizeOfIrp(int stackSize) {
        checkStackSize(stackSize, "IoSizeOfIrp");
        return (int) (IoManager.IRP_SIZE + stackSize * IoManager.STACK_LOCATION_SIZE);
    }

    private static void checkStackSize(int stackSize, String routine) {
        if (stackSize < 0 || stackSize > MAX_STACK_SIZE) {
            throw new IllegalArgumentException(routine + ": StackSize " + stackSize + " is not a CCHAR count of stack locations (0.."
                    + MAX_STACK_SIZE + ")");
        }
    }

    /** {@code IoAllocateIrp(StackSize, ChargeQuota)}: a new IRP, or NULL when the pool is exhausted. */
    public static MemorySegment allocate(IoManager io, int stackSize, boolean chargeQuota) {
        checkStackSize(stackSize, "IoAllocateIrp");
        int size = sizeOfIrp(stackSize);
        long a = io.pool.allocate(size, IoManager.TAG_IRP, dev.offkern.nt.PoolFlags.POOL_FLAG_UNINITIALIZED); // init zeroes it
        if (a == 0) {
            return MemorySegment.NULL;
        }
        MemorySegment irp = io.resolve(a, size);
        init(irp, size, stackSize);
        irp.set(JAVA_BYTE, IRP.ALLOCATION_FLAGS_OFFSET, (byte) (IoCodes.IRP_ALLOCATED_FIXED_SIZE | (chargeQuota ? 0x01 : 0)));
        return irp;
    }

    /** {@code IoInitializeIrp(Irp, PacketSize, StackSize)}: zeroes and sets up an IRP in the caller's memory. */
    public static void initialize(IoManager io, MemorySegment irp, int packetSize, int stackSize) {
        checkStackSize(stackSize, "IoInitializeIrp");
        int need = sizeOfIrp(stackSize);
        int packet = packetSize & 0xFFFF;
        if (packet < need || packetSize != packet) {
            throw new IllegalArgumentException("IoInitializeIrp: PacketSize " + packetSize + " is not a USHORT of at least IoSizeOfIrp("
                    + stackSize + ") = " + need);
        }
        if (irp == null || irp.address() == 0) {
            throw new IllegalArgumentException("IoInitializeIrp: Irp is NULL");
        }
        if ((irp.address() & 15) != 0) {
            throw new IllegalArgumentException("IoInitializeIrp: Irp 0x" + Long.toHexString(irp.address())
                    + " is not 16-byte aligned (an IRP is DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT))");
        }
        MemorySegment s = io.space.resolve(irp.address(), packet);
        init(s, packet, stackSize);
    }

    static void init(MemorySegment irp, int packetSize, int stackSize) {
        (irp.byteSize() == packetSize ? irp : irp.asSlice(0, packetSize)).fill((byte) 0); // the IRP segment is bounded by Size already
        irp.set(JAVA_SHORT, IRP.TYPE_OFFSET, (short) IoCodes.IO_TYPE_IRP);
        irp.set(JAVA_SHORT, IRP.SIZE_OFFSET, (short) packetSize);
        irp.set(JAVA_BYTE, IRP.STACK_COUNT_OFFSET, (byte) stackSize);
        irp.set(JAVA_BYTE, IRP.CURRENT_LOCATION_OFFSET, (byte) (stackSize + 1));
        long list = irp.address() + IRP.THREAD_LIST_ENTRY_OFFSET;
        irp.set(JAVA_LONG, IRP.THREAD_LIST_ENTRY_OFFSET + LIST_ENTRY.FLINK_OFFSET, list);
        irp.set(JAVA_LONG, IRP.THREAD_LIST_ENTRY_OFFSET + LIST_ENTRY.BLINK_OFFSET, list);
        irp.set(JAVA_LONG, IRP.TAIL_OVERLAY_CURRENT_STACK_LOCATION_OFFSET,
                irp.address() + IoManager.IRP_SIZE + stackSize * IoManager.STACK_LOCATION_SIZE);
    }

    /** {@code IoFreeIrp(Irp)}. */
    public static void free(IoManager io, MemorySegment irpArg) {
        long a = address(irpArg, "IoFreeIrp");
        MemorySegment irp = io.irpHeader(a, "IoFreeIrp");
        if (irp.get(JAVA_SHORT, IRP.TYPE_OFFSET) != IoCodes.IO_TYPE_IRP) {
            if (io.verify) {
                throw io.core.bugCheck(BugCheckCode.DRIVER_VERIFIER_IOMANAGER_VIOLATION, DV_FREE_NOT_AN_IRP, a, 0, 0,
                        "IoFreeIrp: 0x" + Long.toHexString(a) + " is no IRP (Type " + irp.get(JAVA_SHORT, IRP.TYPE_OFFSET) + ")");
            }
            throw io.core.bugCheck(BugCheckCode.MULTIPLE_IRP_COMPLETE_REQUESTS, a, MULTIPLE_COMPLETE_NOT_AN_IRP, 0, 0,
                    "IoFreeIrp: 0x" + Long.toHexString(a) + " is no IRP (freed already?)");
        }
        irp.set(JAVA_SHORT, IRP.TYPE_OFFSET, (short) 0); // poison: a later complete/free of this IRP is 0x44
        io.pool.free(a, IoManager.TAG_IRP);
    }

    /** {@code IoReuseIrp(Irp, Iostatus)}: re-initializes an IRP for another request, keeping its AllocationFlags. */
    public static void reuse(IoManager io, MemorySegment irpArg, int status) {
        MemorySegment irp = io.irpSegment(address(irpArg, "IoReuseIrp"), "IoReuseIrp");
        requireIrp(io, irp, "IoReuseIrp");
        if (IoCancel.cancelRoutine(irp) != 0) {
            throw new IllegalStateException("IoReuseIrp: IRP 0x" + Long.toHexString(irp.address()) + " still has a cancel routine");
        }
        int flags = irp.get(JAVA_BYTE, IRP.ALLOCATION_FLAGS_OFFSET) & 0xFF & ~OFFKERN_IRP_COMPLETED;
        int stackSize = stackCount(irp);
        init(irp, sizeOfIrp(stackSize), stackSize);
        irp.set(JAVA_BYTE, IRP.ALLOCATION_FLAGS_OFFSET, (byte) flags);
        irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET, status);
    }

    static long address(MemorySegment irp, String routine) {
        if (irp == null || irp.address() == 0) {
            throw new IllegalArgumentException(routine + ": Irp is NULL");
        }
        return irp.address();
    }

    static int stackCount(MemorySegment irp) {
        return irp.get(JAVA_BYTE, IRP.STACK_COUNT_OFFSET);
    }

    static int currentLocation(MemorySegment irp) {
        return irp.get(JAVA_BYTE, IRP.CURRENT_LOCATION_OFFSET);
    }

    /** The IRP's Type must be IO_TYPE_IRP and its stack consistent with its Size; else IllegalStateException. */
    static void requireIrp(IoManager io, MemorySegment irp, String routine) {
        if (irp.get(JAVA_SHORT, IRP.TYPE_OFFSET) != IoCodes.IO_TYPE_IRP) {
            throw new IllegalStateException(routine + ": 0x" + Long.toHexString(irp.address()) + " is no IRP (Type "
                    + irp.get(JAVA_SHORT, IRP.TYPE_OFFSET) + ", not IO_TYPE_IRP 6)");
        }
        int count = stackCount(irp);
        if (count < 0 || IoManager.IRP_SIZE + count * IoManager.STACK_LOCATION_SIZE > irp.byteSize()) {
            throw new IllegalStateException(routine + ": IRP 0x" + Long.toHexString(irp.address()) + " has StackCount " + count
                    + " but Size " + irp.byteSize() + " (corrupted)");
        }
    }

    /**
     * The offset of stack location {@code location} (1-based) in the IRP, checking that
     * Tail.Overlay.CurrentStackLocation agrees with CurrentLocation.
     */
    static long currentOffset(MemorySegment irp, String routine) {
        int loc = currentLocation(irp);
        int count = stackCount(irp);
        long expected = IoManager.IRP_SIZE + (loc - 1L) * IoManager.STACK_LOCATION_SIZE;
        long ptr = irp.get(JAVA_LONG, IRP.TAIL_OVERLAY_CURRENT_STACK_LOCATION_OFFSET);
        if (loc < 1 || loc > count + 1 || ptr != irp.address() + expected) {
            throw new IllegalStateException(routine + ": IRP 0x" + Long.toHexString(irp.address()) + " is corrupted: CurrentLocation "
                    + loc + " of StackCount " + count + ", Tail.Overlay.CurrentStackLocation 0x" + Long.toHexString(ptr)
                    + " (expected 0x" + Long.toHexString(irp.address() + expected) + ")");
        }
        return expected;
    }

    /** {@code IoGetCurrentIrpStackLocation(Irp)}: a zero-length segment when the IRP was not sent yet (no current location). */
    public static MemorySegment current(IoManager io, MemorySegment irpArg) {
        MemorySegment irp = io.irpSegment(address(irpArg, "IoGetCurrentIrpStackLocation"), "IoGetCurrentIrpStackLocation");
        long off = currentOffset(irp, "IoGetCurrentIrpStackLocation");
        return currentLocation(irp) > stackCount(irp) ? io.resolve(irp.address() + off, 0)
                : io.resolve(irp.address() + off, IoManager.STACK_LOCATION_SIZE);
    }

    /** {@code IoGetNextIrpStackLocation(Irp)}: the location the next lower driver will see. */
    public static MemorySegment next(IoManager io, MemorySegment irpArg) {
        MemorySegment irp = io.irpSegment(address(irpArg, "IoGetNextIrpStackLocation"), "IoGetNextIrpStackLocation");
        return io.resolve(irp.address() + nextOffset(irp, "IoGetNextIrpStackLocation"), IoManager.STACK_LOCATION_SIZE);
    }

    static long nextOffset(MemorySegment irp, String routine) {
        long off = currentOffset(irp, routine);
        if (currentLocation(irp) <= 1) {
            throw new IllegalStateException(routine + ": IRP 0x" + Long.toHexString(irp.address()) + " has no next stack location"
                    + " (CurrentLocation " + currentLocation(irp) + " of StackCount " + stackCount(irp) + ")");
        }
        return off - IoManager.STACK_LOCATION_SIZE;
    }

    /** {@code IoSkipCurrentIrpStackLocation(Irp)}: the next lower driver gets this driver's location. */
    public static void skipCurrent(IoManager io, MemorySegment irpArg) {
        MemorySegment irp = io.irpSegment(address(irpArg, "IoSkipCurrentIrpStackLocation"), "IoSkipCurrentIrpStackLocation");
        long off = currentOffset(irp, "IoSkipCurrentIrpStackLocation");
        int loc = currentLocation(irp);
        if (loc > stackCount(irp)) {
            throw new IllegalStateException("IoSkipCurrentIrpStackLocation: IRP 0x" + Long.toHexString(irp.address())
                    + " has no current stack location to skip (it was not sent: CurrentLocation " + loc + ")");
        }
        irp.set(JAVA_BYTE, IRP.CURRENT_LOCATION_OFFSET, (byte) (loc + 1));
        irp.set(JAVA_LONG, IRP.TAIL_OVERLAY_CURRENT_STACK_LOCATION_OFFSET, irp.address() + off + IoManager.STACK_LOCATION_SIZE);
    }

    /** {@code IoCopyCurrentIrpStackLocationToNext(Irp)}: everything up to CompletionRoutine; the next Control := 0. */
    public static void copyCurrentToNext(IoManager io, MemorySegment irpArg) {
        MemorySegment irp = io.irpSegment(address(irpArg, "IoCopyCurrentIrpStackLocationToNext"), "IoCopyCurrentIrpStackLocationToNext");
        long cur = currentOffset(irp, "IoCopyCurrentIrpStackLocationToNext");
        if (currentLocation(irp) > stackCount(irp)) {
            throw new IllegalStateException("IoCopyCurrentIrpStackLocationToNext: IRP 0x" + Long.toHexString(irp.address())
                    + " has no current stack location (it was not sent)");
        }
        long next = nextOffset(irp, "IoCopyCurrentIrpStackLocationToNext");
        MemorySegment.copy(irp, cur, irp, next, IO_STACK_LOCATION.COMPLETION_ROUTINE_OFFSET);
        irp.set(JAVA_BYTE, next + IO_STACK_LOCATION.CONTROL_OFFSET, (byte) 0);
    }

    /** {@code IoMarkIrpPending(Irp)}: the current location's Control |= SL_PENDING_RETURNED. */
    public static void markPending(IoManager io, MemorySegment irpArg) {
        MemorySegment irp = io.irpSegment(address(irpArg, "IoMarkIrpPending"), "IoMarkIrpPending");
        long off = currentOffset(irp, "IoMarkIrpPending");
        if (currentLocation(irp) > stackCount(irp)) {
            throw new IllegalStateException("IoMarkIrpPending: IRP 0x" + Long.toHexString(irp.address())
                    + " has no current stack location (it was not sent)");
        }
        long control = off + IO_STACK_LOCATION.CONTROL_OFFSET;
        irp.set(JAVA_BYTE, control, (byte) (irp.get(JAVA_BYTE, control) | IoCodes.SL_PENDING_RETURNED));
    }
}
