package dev.offkern.tests.fuzz;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Io;
import dev.offkern.ddi.Zw;
import dev.offkern.layout.ob.OBJECT_ATTRIBUTES;
import dev.offkern.nt.ObjectAttributes;
import dev.offkern.nt.AccessMask;
import dev.offkern.ddi.Ke;
import dev.offkern.ddi.Ob;
import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.IO_CSQ;
import dev.offkern.layout.io.IO_CSQ_IRP_CONTEXT;
import dev.offkern.layout.io.IO_STACK_LOCATION;
import dev.offkern.layout.io.IO_STATUS_BLOCK;
import dev.offkern.layout.io.IRP;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.nt.DRIVER_DISPATCH;
import dev.offkern.nt.IO_COMPLETION_ROUTINE;
import dev.offkern.nt.IoCodes;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The I/O manager: each step loads a driver (a String or UNICODE_STRING name, sometimes one in use),
 * creates devices, stacks and unstacks them, sends IRPs through them (completing in the dispatch
 * routine, passing down, pending and cancelling, through a cancel-safe queue), builds requests, and
 * deletes everything it made before the step ends. Hostile steps pass pointers that are no IRP or
 * device (unmapped, a fuzz block, a freed IRP), complete an IRP twice, send one with no location
 * left, and corrupt an IRP's CurrentStackLocation: a status, IllegalArgument/StateException, or the
 * documented bug checks (0x35, 0x44, 0x50, 0xC9, 0x18).
 */
final class IoOps {
    private IoOps() {
    }

    static List<Op> ops() {
        return List.of(
                Op.of("io.drivers", 3, IoOps::drivers, "IoCreateDriver", "IoDeleteDriver", "IoSetMajorFunction", "IoSetDriverUnload",
                        "IoCreateDevice", "IoDeleteDevice", "IoAttachDeviceToDeviceStack", "IoDetachDevice",
                        "IoGetAttachedDeviceReference", "ObDereferenceObject"),
                Op.of("io.irps", 4, IoOps::irps, "IoCreateDriver", "IoSetMajorFunction", "IoCreateDevice", "IoAllocateIrp", "IoSizeOfIrp",
                        "IoInitializeIrp", "IoGetNextIrpStackLocation", "IoGetCurrentIrpStackLocation", "IoSkipCurrentIrpStackLocation",
                        "IoCopyCurrentIrpStackLocationToNext", "IoSetCompletionRoutine", "IoSetCompletionRoutineEx", "IoCallDriver",
                        "IoMarkIrpPending", "IoCompleteRequest", "IoReuseIrp", "IoFreeIrp", "IoBuildDeviceIoControlRequest",
                        "IoBuildSynchronousFsdRequest", "IoDeleteDevice", "IoDeleteDriver", "IoAttachDeviceToDeviceStack"),
                Op.of("io.cancel", 3, IoOps::cancel, "IoCreateDriver", "IoSetMajorFunction", "IoCreateDevice", "IoAllocateIrp",
                        "IoSetCancelRoutine", "IoCancelIrp", "IoAcquireCancelSpinLock", "IoReleaseCancelSpinLock", "IoCallDriver",
                        "IoCompleteRequest", "IoCsqInitialize", "IoCsqInitializeEx", "IoCsqInsertIrp", "IoCsqInsertIrpEx",
                        "IoCsqRemoveIrp", "IoCsqRemoveNextIrp", "IoFreeIrp", "IoDeleteDevice", "IoDeleteDriver"),
                Op.of("io.files", 2, IoOps::files, "IoCreateDriver", "IoSetMajorFunction", "IoCreateDevice", "IoGetDeviceObjectPointer",
                        "ZwCreateFile", "ZwDeviceIoControlFile", "ZwReadFile", "ZwWriteFile", "ZwClose", "ObDereferenceObject", "IoDeleteDevice",
                        "IoDeleteDriver", "IoMarkIrpPending", "IoCompleteRequest"),
                Op.of("io.leftovers", 2, IoOps::leftovers, "IoCreateDriver", "IoSetDriverUnload", "IoDeleteDriver", "ZwCreateEvent",
                        "ObReferenceObjectByHandle", "ObDereferenceObject", "ZwClose", "ExInitializeNPagedLookasideList",
                        "ExDeleteNPagedLookasideList", "ExAllocateTimer", "ExSetTimer", "ExDeleteTimer"),
                Op.of("io.hostile", 2, IoOps::hostile, "IoFreeIrp", "IoCompleteRequest", "IoCallDriver", "IoGetCurrentIrpStackLocation",
                        "IoGetNextIrpStackLocation", "IoCancelIrp", "IoSetCancelRoutine", "IoCreateDevice", "IoDeleteDevice",
                        "IoDeleteDriver", "IoCsqRemoveNextIrp", "IoCsqInsertIrp", "IoReuseIrp", "IoMarkIrpPending",
                        "IoAllocateIrp", "IoCreateDriver"));
    }

    /** A scratch block of this step, freed after it. */
    private static MemorySegment scratch(Ctx c, long size) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, size, World.TAG);
        if (b.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("fuzzer: no pool for a scratch block");
        }
        c.after.add(x -> Ex.ExFreePool(b));
        return b;
    }

    private static MemorySegment unicode(Ctx c, String s) {
        byte[] chars = s.getBytes(StandardCharsets.UTF_16LE);
        MemorySegment b = scratch(c, 16 + Math.max(2, chars.length));
        b.set(JAVA_SHORT, UNICODE_STRING.LENGTH_OFFSET, (short) chars.length);
        b.set(JAVA_SHORT, UNICODE_STRING.MAXIMUM_LENGTH_OFFSET, (short) chars.length);
        b.set(JAVA_LONG, UNICODE_STRING.BUFFER_OFFSET, b.address() + 16);
        MemorySegment.copy(chars, 0, b, JAVA_BYTE, 16, chars.length);
        return b;
    }

    private static final DRIVER_DISPATCH COMPLETE = (device, irp) -> {
        irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, NtStatus.STATUS_SUCCESS);
        irp.set(JAVA_LONG, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.INFORMATION_OFFSET, 0L);
        Io.IoCompleteRequest(irp, IoCodes.IO_NO_INCREMENT);
        return NtStatus.STATUS_SUCCESS;
    };

    /** Keeps its IRP: the originator frees it. */
    private static final IO_COMPLETION_ROUTINE KEEP = (device, irp, ctx) -> NtStatus.STATUS_MORE_PROCESSING_REQUIRED;

    /** Loads a driver with one device; both deleted after the step. Returns {driver, device} or null. */
    private static MemorySegment[] driverWithDevice(Ctx c, DRIVER_DISPATCH dispatch, int major) {
        MemorySegment[] d = new MemorySegment[1];
        String name = c.p(0.3) ? null : "\\Driver\\Fuzz" + c.thread + "_" + c.n(4);
        int st = Io.IoCreateDriver(name, (driver, path) -> {
            d[0] = driver;
            Io.IoSetMajorFunction(driver, major, dispatch);
            Io.IoSetDriverUnload(driver, x -> { });
            return NtStatus.STATUS_SUCCESS;
        });
        if (st != NtStatus.STATUS_SUCCESS) {
            c.note("IoCreateDriver 0x" + Integer.toHexString(st));
            return null;
        }
        MemorySegment driver = d[0];
        c.after.add(x -> Io.IoDeleteDriver(driver));
        MemorySegment slot = scratch(c, 8);
        st = Io.IoCreateDevice(driver, c.n(64), MemorySegment.NULL, IoCodes.FILE_DEVICE_UNKNOWN, 0, c.p(0.2), slot);
        if (st != NtStatus.STATUS_SUCCESS) {
            return null;
        }
        MemorySegment dev = c.w.kernel.addressSpace().resolve(slot.get(JAVA_LONG, 0), DEVICE_OBJECT.X64.size());
        c.after.add(0, x -> Io.IoDeleteDevice(dev)); // before the driver's delete
        return new MemorySegment[] {driver, dev};
    }

    /**
     * Opens a named device (IoGetDeviceObjectPointer or ZwCreateFile, sometimes with a name that is no
     * device's, bad parameters, or a driver failing the create), sends a device control through the
     * handle and closes it. Invariant: every create the driver accepted gets exactly one
     * IRP_MJ_CLEANUP and one IRP_MJ_CLOSE once the handle is closed and the reference dropped.
     */
    static void files(Ctx c) {
        String devName = "\\Device\\FuzzFile" + c.thread + "_" + c.n(4);
        java.util.concurrent.atomic.AtomicInteger creates = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger cleanups = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger closes = new java.util.concurrent.atomic.AtomicInteger();
        boolean failCreate = c.p(0.15);
        boolean[] pend = new boolean[1]; // only on a file opened for asynchronous I/O: a synchronous one would wait forever
        java.util.List<MemorySegment> pending = new java.util.concurrent.CopyOnWriteArrayList<>();
        DRIVER_DISPATCH dispatch = (device, irp) -> {
            int major = Io.IoGetCurrentIrpStackLocation(irp).get(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET) & 0xFF;
            int st = NtStatus.STATUS_SUCCESS;
            if (pend[0] && (major == IoCodes.IRP_MJ_READ || major == IoCodes.IRP_MJ_WRITE || major == IoCodes.IRP_MJ_DEVICE_CONTROL)) {
                Io.IoMarkIrpPending(irp);
                pending.add(irp);
                return NtStatus.STATUS_PENDING;
            }
            switch (major) {
                case IoCodes.IRP_MJ_CREATE -> {
                    if (failCreate) {
                        st = NtStatus.STATUS_ACCESS_DENIED;
                    } else {
                        creates.incrementAndGet();
                    }
                }
                case IoCodes.IRP_MJ_CLEANUP -> cleanups.incrementAndGet();
                case IoCodes.IRP_MJ_CLOSE -> closes.incrementAndGet();
                case IoCodes.IRP_MJ_READ -> st = c.p(0.3) ? NtStatus.STATUS_END_OF_FILE : NtStatus.STATUS_SUCCESS;
                default -> { }
            }
            irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, st);
            irp.set(JAVA_LONG, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.INFORMATION_OFFSET, 0L);
            Io.IoCompleteRequest(irp, IoCodes.IO_NO_INCREMENT);
            return st;
        };
        MemorySegment[] d = new MemorySegment[1];
        int st = Io.IoCreateDriver((String) null, (driver, path) -> {
            d[0] = driver;
            for (int major : new int[] {IoCodes.IRP_MJ_CREATE, IoCodes.IRP_MJ_CLEANUP, IoCodes.IRP_MJ_CLOSE, IoCodes.IRP_MJ_DEVICE_CONTROL,
                    IoCodes.IRP_MJ_READ, IoCodes.IRP_MJ_WRITE}) {
                Io.IoSetMajorFunction(driver, major, dispatch);
            }
            return NtStatus.STATUS_SUCCESS;
        });
        if (st != NtStatus.STATUS_SUCCESS) {
            c.note("IoCreateDriver 0x" + Integer.toHexString(st));
            return;
        }
        MemorySegment driver = d[0];
        c.after.add(x -> Io.IoDeleteDriver(driver));
        MemorySegment slot = scratch(c, 8);
        st = Io.IoCreateDevice(driver, c.n(32), unicode(c, devName), IoCodes.FILE_DEVICE_UNKNOWN, 0, false, slot);
        if (st != NtStatus.STATUS_SUCCESS) {
            c.note("IoCreateDevice 0x" + Integer.toHexString(st)); // the name may be another step's
            return;
        }
        MemorySegment dev = c.w.kernel.addressSpace().resolve(slot.get(JAVA_LONG, 0), DEVICE_OBJECT.X64.size());
        c.after.add(0, x -> Io.IoDeleteDevice(dev));
        if (c.p(0.5)) {
            dev.set(JAVA_INT, DEVICE_OBJECT.FLAGS_OFFSET, dev.get(JAVA_INT, DEVICE_OBJECT.FLAGS_OFFSET) | IoCodes.DO_BUFFERED_IO);
        }
        String name = c.p(0.85) ? devName : c.p(0.5) ? devName + "\\sub" : "\\Device\\FuzzNoSuch" + c.n(1000);
        if (c.p(0.4)) {
            MemorySegment fileOut = scratch(c, 8);
            MemorySegment devOut = scratch(c, 8);
            st = Io.IoGetDeviceObjectPointer(unicode(c, name), AccessMask.FILE_ALL_ACCESS, fileOut, devOut);
            c.note("IoGetDeviceObjectPointer 0x" + Integer.toHexString(st));
            if (st == NtStatus.STATUS_SUCCESS) {
                if (devOut.get(JAVA_LONG, 0) != dev.address()) {
                    throw new FuzzInvariantException("IoGetDeviceObjectPointer returned another device than the one named");
                }
                Ob.ObDereferenceObject(MemorySegment.ofAddress(fileOut.get(JAVA_LONG, 0)));
            }
        } else {
            MemorySegment handle = scratch(c, 8);
            MemorySegment iosb = scratch(c, IO_STATUS_BLOCK.X64.size());
            MemorySegment oa = scratch(c, OBJECT_ATTRIBUTES.X64.size());
            oa.set(JAVA_INT, OBJECT_ATTRIBUTES.LENGTH_OFFSET, (int) OBJECT_ATTRIBUTES.X64.size());
            oa.set(JAVA_LONG, OBJECT_ATTRIBUTES.OBJECT_NAME_OFFSET, unicode(c, name).address());
            oa.set(JAVA_INT, OBJECT_ATTRIBUTES.ATTRIBUTES_OFFSET, ObjectAttributes.OBJ_KERNEL_HANDLE);
            int disposition = c.p(0.9) ? IoCodes.FILE_OPEN : c.n(8);
            int options = c.p(0.9) ? (c.p(0.5) ? IoCodes.FILE_SYNCHRONOUS_IO_NONALERT : 0) : c.n(0x40) << c.n(20);
            pend[0] = c.p(0.2) && (options & (IoCodes.FILE_SYNCHRONOUS_IO_ALERT | IoCodes.FILE_SYNCHRONOUS_IO_NONALERT)) == 0;
            int access = c.p(0.7) ? AccessMask.FILE_ALL_ACCESS
                    : AccessMask.SYNCHRONIZE | (c.p(0.5) ? AccessMask.FILE_READ_DATA : 0) | (c.p(0.5) ? AccessMask.FILE_WRITE_DATA : 0)
                            | (c.p(0.3) ? AccessMask.FILE_APPEND_DATA : 0);
            st = Zw.ZwCreateFile(handle, access, oa, iosb, MemorySegment.NULL, 0, 0, disposition, options,
                    MemorySegment.NULL, 0);
            c.note("ZwCreateFile 0x" + Integer.toHexString(st));
            if (st == NtStatus.STATUS_SUCCESS) {
                long h = handle.get(JAVA_LONG, 0);
                MemorySegment buf = scratch(c, 16);
                int len = c.n(17);
                // each request gets its own IO_STATUS_BLOCK: a pending one is written at its completion, after this step's others
                MemorySegment offset = scratch(c, 8);
                offset.set(JAVA_LONG, 0, c.p(0.7) ? c.n(64) : c.p(0.5) ? -1L : c.p(0.5) ? 0xFFFFFFFFFFFFFFFEL : -c.n(100) - 2);
                MemorySegment byteOffset = c.p(0.2) ? MemorySegment.NULL : offset;
                for (int i = 0, n = 1 + c.n(3); i < n; i++) {
                    MemorySegment requestIosb = scratch(c, IO_STATUS_BLOCK.X64.size());
                    switch (c.n(3)) {
                        case 0 -> {
                            int code = (IoCodes.FILE_DEVICE_UNKNOWN << 16) | ((0x800 + c.n(16)) << 2) | c.n(4);
                            c.note("ZwDeviceIoControlFile 0x" + Integer.toHexString(Zw.ZwDeviceIoControlFile(h, 0, MemorySegment.NULL,
                                    MemorySegment.NULL, requestIosb, code, buf, len, buf, len)));
                        }
                        case 1 -> c.note("ZwReadFile 0x" + Integer.toHexString(Zw.ZwReadFile(h, 0, MemorySegment.NULL, MemorySegment.NULL,
                                requestIosb, buf, len, byteOffset, MemorySegment.NULL)));
                        default -> c.note("ZwWriteFile 0x" + Integer.toHexString(Zw.ZwWriteFile(h, 0, MemorySegment.NULL,
                                MemorySegment.NULL, requestIosb, buf, len, byteOffset, MemorySegment.NULL)));
                    }
                }
                Zw.ZwClose(h);
                if (!pending.isEmpty() && closes.get() != 0) {
                    throw new FuzzInvariantException("IRP_MJ_CLOSE was sent while " + pending.size() + " request(s) through the handle were"
                            + " pending: they hold no reference on the file object");
                }
                for (MemorySegment irp : pending) {
                    irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, NtStatus.STATUS_SUCCESS);
                    irp.set(JAVA_LONG, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.INFORMATION_OFFSET, 0L);
                    Io.IoCompleteRequest(irp, IoCodes.IO_NO_INCREMENT);
                }
            }
        }
        if (creates.get() != closes.get() || creates.get() != cleanups.get()) {
            throw new FuzzInvariantException("file objects: " + creates.get() + " creates accepted, " + cleanups.get() + " cleanups, "
                    + closes.get() + " closes");
        }
    }

    /**
     * A driver that leaves things at its unload or cleans them up in its Unload: an event handle, a
     * referenced event object, a lookaside list, an EX_TIMER (set or not). Invariants (docs/io.md
     * "Unload and leaks"): a lookaside list or a set EX_TIMER left is 0xCE from IoDeleteDriver and
     * nothing else is; without it, the unload record holds exactly the handle, the object and the
     * unset EX_TIMER left, and nothing at all when everything was cleaned up.
     */
    static void leftovers(Ctx c) {
        String name = "\\Driver\\FuzzLeft" + c.thread + "_" + c.n(1 << 20);
        boolean keepHandle = c.p(0.3);
        boolean keepObject = c.p(0.2);
        boolean useList = c.p(0.3);
        boolean keepList = useList && c.p(0.1);
        boolean useTimer = c.p(0.3);
        boolean setTimer = useTimer && c.p(0.5);
        boolean keepTimer = useTimer && c.p(setTimer ? 0.1 : 0.3);
        long[] handle = new long[1];
        long[] object = new long[1];
        MemorySegment[] list = new MemorySegment[1];
        MemorySegment[] timer = new MemorySegment[1];
        MemorySegment oa = scratch(c, OBJECT_ATTRIBUTES.X64.size());
        oa.set(JAVA_INT, OBJECT_ATTRIBUTES.LENGTH_OFFSET, (int) OBJECT_ATTRIBUTES.X64.size());
        oa.set(JAVA_INT, OBJECT_ATTRIBUTES.ATTRIBUTES_OFFSET, ObjectAttributes.OBJ_KERNEL_HANDLE);
        MemorySegment out = scratch(c, 8);
        MemorySegment[] d = new MemorySegment[1];
        int st = Io.IoCreateDriver(name, (driver, path) -> {
            d[0] = driver;
            if (Zw.ZwCreateEvent(out, AccessMask.EVENT_ALL_ACCESS, oa, 0, false) != NtStatus.STATUS_SUCCESS) {
                return NtStatus.STATUS_INSUFFICIENT_RESOURCES;
            }
            handle[0] = out.get(JAVA_LONG, 0);
            if (Ob.ObReferenceObjectByHandle(handle[0], 0, MemorySegment.NULL, 0, out, MemorySegment.NULL) == NtStatus.STATUS_SUCCESS) {
                object[0] = out.get(JAVA_LONG, 0);
            }
            if (useList) {
                list[0] = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, dev.offkern.runtime.ex.ExLookaside.GENERAL_LOOKASIDE_SIZE,
                        World.TAG);
                if (list[0].address() != 0) {
                    Ex.ExInitializeNPagedLookasideList(list[0], null, null, 0, 32 + c.n(64), World.TAG, 0);
                }
            }
            if (useTimer) {
                // a routine of its own (it captures the name): a shared lambda's stub keeps the owner of the first driver that used it
                timer[0] = Ex.ExAllocateTimer((t, x) -> name.length(), MemorySegment.NULL, 0);
                if (setTimer && timer[0].address() != 0) {
                    Ex.ExSetTimer(timer[0], -600_000_000L, 0, MemorySegment.NULL); // a minute from now
                }
            }
            Io.IoSetDriverUnload(driver, self -> {
                if (!keepHandle) {
                    Zw.ZwClose(handle[0]);
                }
                if (!keepObject && object[0] != 0) {
                    Ob.ObDereferenceObject(MemorySegment.ofAddress(object[0]));
                }
                if (list[0] != null && list[0].address() != 0 && !keepList) {
                    Ex.ExDeleteNPagedLookasideList(list[0]);
                    Ex.ExFreePool(list[0]);
                }
                if (timer[0] != null && timer[0].address() != 0 && !keepTimer) {
                    Ex.ExDeleteTimer(timer[0], true, true, MemorySegment.NULL);
                }
            });
            return NtStatus.STATUS_SUCCESS;
        });
        if (st != NtStatus.STATUS_SUCCESS) {
            c.note("IoCreateDriver 0x" + Integer.toHexString(st));
            return;
        }
        boolean listLeft = keepList && list[0].address() != 0;
        boolean timerSetLeft = keepTimer && setTimer && timer[0].address() != 0;
        // what the driver left goes in any case, after the checks (another step's IoDeleteDriver must not see it)
        c.after.add(x -> {
            if (keepHandle) {
                Zw.ZwClose(handle[0]);
            }
            if (keepObject && object[0] != 0) {
                Ob.ObDereferenceObject(MemorySegment.ofAddress(object[0]));
            }
            if (listLeft) {
                Ex.ExDeleteNPagedLookasideList(list[0]);
                Ex.ExFreePool(list[0]);
            }
            if (keepTimer && timer[0].address() != 0) {
                Ex.ExDeleteTimer(timer[0], true, true, MemorySegment.NULL);
            }
        });
        try {
            Io.IoDeleteDriver(d[0]);
        } catch (dev.offkern.nt.BugCheck bc) {
            if (bc.code() != dev.offkern.nt.BugCheckCode.DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS || !(listLeft || timerSetLeft)) {
                throw bc;
            }
            return;
        }
        if (listLeft || timerSetLeft) {
            throw new FuzzInvariantException(name + " unloaded with " + (listLeft ? "a lookaside list" : "a set EX_TIMER") + " left and no 0xCE");
        }
        dev.offkern.runtime.io.IoManager.DriverLeak leak = null;
        for (dev.offkern.runtime.io.IoManager.DriverLeak l : c.w.kernel.io().unloadLeaks()) {
            if (l.driver().equals(name)) {
                leak = l;
            }
        }
        int handles = keepHandle ? 1 : 0;
        int objects = keepHandle || (keepObject && object[0] != 0) ? 1 : 0;
        int others = keepTimer && timer[0].address() != 0 ? 1 : 0;
        if (handles + objects + others == 0) {
            if (leak != null) {
                throw new FuzzInvariantException(name + " cleaned up and still has an unload record: " + leak.describe());
            }
            return;
        }
        if (leak == null || leak.handles().size() != handles || leak.objects().size() != objects || leak.others().size() != others) {
            throw new FuzzInvariantException(name + " left " + handles + " handle(s), " + objects + " object(s), " + others
                    + " EX_TIMER(s); its unload record: " + (leak == null ? "none" : leak.describe()));
        }
    }

    static void drivers(Ctx c) {
        MemorySegment[] a = driverWithDevice(c, COMPLETE, IoCodes.IRP_MJ_READ);
        if (a == null) {
            return;
        }
        if (c.p(0.3)) {
            String taken = "\\Driver\\Fuzz" + c.thread + "_" + c.n(4);
            MemorySegment[] second = new MemorySegment[1];
            int st = Io.IoCreateDriver(unicode(c, taken), (x, y) -> {
                second[0] = x;
                return NtStatus.STATUS_SUCCESS;
            });
            if (st == NtStatus.STATUS_SUCCESS) {
                Io.IoDeleteDriver(second[0]); // the name was free
            } else if (st != NtStatus.STATUS_OBJECT_NAME_COLLISION) {
                throw new FuzzInvariantException("IoCreateDriver of " + taken + " returned 0x" + Integer.toHexString(st));
            }
        }
        MemorySegment slot = scratch(c, 8);
        if (Io.IoCreateDevice(a[0], 0, MemorySegment.NULL, IoCodes.FILE_DEVICE_UNKNOWN, 0, false, slot) != NtStatus.STATUS_SUCCESS) {
            return;
        }
        MemorySegment filter = MemorySegment.ofAddress(slot.get(JAVA_LONG, 0));
        c.after.add(0, x -> Io.IoDeleteDevice(filter));
        MemorySegment below = Io.IoAttachDeviceToDeviceStack(filter, a[1]);
        MemorySegment top = Io.IoGetAttachedDeviceReference(a[1]);
        Ob.ObDereferenceObject(top);
        if (below.address() != 0 && top.address() != filter.address()) {
            throw new FuzzInvariantException("the top of the stack is not the device just attached");
        }
        if (below.address() != 0) {
            Io.IoDetachDevice(a[1]);
        }
    }

    static void irps(Ctx c) {
        MemorySegment[] lower = driverWithDevice(c, COMPLETE, IoCodes.IRP_MJ_READ);
        if (lower == null) {
            return;
        }
        MemorySegment dev = lower[1];
        switch (c.n(4)) {
            case 0 -> {
                MemorySegment irp = Io.IoAllocateIrp(1 + c.n(3), false);
                if (irp.address() == 0) {
                    return;
                }
                c.after.add(x -> Io.IoFreeIrp(irp));
                Io.IoGetNextIrpStackLocation(irp).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET,
                        (byte) (c.p(0.9) ? IoCodes.IRP_MJ_READ : c.n(40)));
                if (c.p(0.5)) {
                    Io.IoSetCompletionRoutine(irp, KEEP, MemorySegment.NULL, true, true, true);
                } else {
                    Io.IoSetCompletionRoutineEx(dev, irp, KEEP, MemorySegment.NULL, true, true, true);
                }
                Io.IoCallDriver(dev, irp);
                Io.IoGetCurrentIrpStackLocation(irp);
                Io.IoReuseIrp(irp, 0);
            }
            case 1 -> {
                int stack = 1 + c.n(2);
                MemorySegment b = scratch(c, Io.IoSizeOfIrp(stack));
                Io.IoInitializeIrp(b, Io.IoSizeOfIrp(stack), stack);
                Io.IoGetNextIrpStackLocation(b).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_READ);
                Io.IoSetCompletionRoutine(b, KEEP, MemorySegment.NULL, true, true, true);
                Io.IoCallDriver(dev, b);
            }
            case 2 -> {
                MemorySegment in = scratch(c, 16);
                MemorySegment ev = scratch(c, 24);
                MemorySegment iosb = scratch(c, 16);
                Ke.KeInitializeEvent(ev, Ke.NotificationEvent, false);
                MemorySegment irp = c.p(0.5)
                        ? Io.IoBuildDeviceIoControlRequest(0x222000 | c.n(4), dev, in, 16, in, 16, c.p(0.2), ev, iosb)
                        : Io.IoBuildSynchronousFsdRequest(c.p(0.8) ? IoCodes.IRP_MJ_READ : c.n(30), dev, in, 16, MemorySegment.NULL, ev, iosb);
                if (irp.address() != 0) {
                    Io.IoCallDriver(dev, irp); // the read completes; an IOCTL is an invalid request, completed too
                    if (Ke.KeReadStateEvent(ev) == 0) {
                        throw new FuzzInvariantException("a built request completed without setting its event");
                    }
                }
            }
            default -> {
                MemorySegment[] lowerDev = {dev};
                MemorySegment[] upper = driverWithDevice(c, (d, irp) -> {
                    if (c.p(0.5)) {
                        Io.IoSkipCurrentIrpStackLocation(irp);
                    } else {
                        Io.IoCopyCurrentIrpStackLocationToNext(irp);
                        Io.IoMarkIrpPending(irp);
                    }
                    return Io.IoCallDriver(lowerDev[0], irp);
                }, IoCodes.IRP_MJ_READ);
                if (upper == null) {
                    return;
                }
                if (Io.IoAttachDeviceToDeviceStack(upper[1], dev).address() == 0) {
                    return;
                }
                c.after.add(0, x -> Io.IoDetachDevice(lowerDev[0]));
                MemorySegment irp = Io.IoAllocateIrp(c.p(0.9) ? 2 : 1, false);
                if (irp.address() == 0) {
                    return;
                }
                c.after.add(x -> Io.IoFreeIrp(irp));
                Io.IoGetNextIrpStackLocation(irp).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_READ);
                Io.IoSetCompletionRoutine(irp, KEEP, MemorySegment.NULL, true, true, true);
                Io.IoCallDriver(upper[1], irp);
                Io.IoReuseIrp(irp, 0);
            }
        }
    }

    /** A cancel-safe queue of the step: a deque guarded by a KSPIN_LOCK. */
    static void cancel(Ctx c) {
        ArrayDeque<Long> q = new ArrayDeque<>();
        MemorySegment lock = scratch(c, 8);
        Ke.KeInitializeSpinLock(lock);
        MemorySegment csq = scratch(c, IO_CSQ.X64.size());
        boolean ex = c.p(0.5);
        int[] refuse = {0};
        // The IO_CSQ's callbacks stay registered after the step, but its lock word (scratch pool)
        // is freed then: a later op that hands this stale IO_CSQ to a CSQ routine (io.hostile) must
        // not make the driver's lock callback spin on, or write, memory that pool reuse gave to
        // someone else. A real driver's lock outlives its queue; after the step this one is the
        // IRQL raise alone (the deque is empty by then and touched by nobody else).
        java.util.concurrent.atomic.AtomicBoolean retired = new java.util.concurrent.atomic.AtomicBoolean();
        c.after.add(0, x -> retired.set(true));
        IoCsqLockCallbacks locks = new IoCsqLockCallbacks(lock, retired);
        int st = ex
                ? Io.IoCsqInitializeEx(csq, (k, irp, ctx) -> {
                    if (refuse[0] != 0) {
                        return refuse[0];
                    }
                    q.addLast(irp.address());
                    return NtStatus.STATUS_SUCCESS;
                }, (k, irp) -> q.remove(irp.address()), (k, irp, pc) -> peek(q, irp), locks::acquire, locks::release,
                        IoOps::cancelled)
                : Io.IoCsqInitialize(csq, (k, irp) -> q.addLast(irp.address()), (k, irp) -> q.remove(irp.address()),
                        (k, irp, pc) -> peek(q, irp), locks::acquire, locks::release, IoOps::cancelled);
        if (st != NtStatus.STATUS_SUCCESS) {
            throw new FuzzInvariantException("IoCsqInitialize returned 0x" + Integer.toHexString(st));
        }
        MemorySegment ctx = scratch(c, IO_CSQ_IRP_CONTEXT.X64.size());
        boolean useCtx = c.p(0.5);
        MemorySegment[] a = driverWithDevice(c, (d, irp) -> {
            if (c.p(0.5)) {
                Io.IoCsqInsertIrp(csq, irp, useCtx ? ctx : MemorySegment.NULL);
                return NtStatus.STATUS_PENDING;
            }
            refuse[0] = c.p(0.3) ? NtStatus.STATUS_INSUFFICIENT_RESOURCES : 0;
            int s = Io.IoCsqInsertIrpEx(csq, irp, useCtx ? ctx : MemorySegment.NULL, MemorySegment.NULL);
            if (!NtStatus.NT_SUCCESS(s)) {
                irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, s);
                Io.IoCompleteRequest(irp, 0);
                return s;
            }
            return NtStatus.STATUS_PENDING;
        }, IoCodes.IRP_MJ_READ);
        if (a == null) {
            return;
        }
        MemorySegment irp = Io.IoAllocateIrp(1, false);
        if (irp.address() == 0) {
            return;
        }
        c.after.add(x -> Io.IoFreeIrp(irp));
        Io.IoGetNextIrpStackLocation(irp).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_READ);
        Io.IoSetCompletionRoutine(irp, KEEP, MemorySegment.NULL, true, true, true);
        Io.IoCallDriver(a[1], irp);
        if (c.p(0.5)) {
            Io.IoCancelIrp(irp);
        }
        MemorySegment removed = useCtx && c.p(0.5) ? Io.IoCsqRemoveIrp(csq, ctx) : Io.IoCsqRemoveNextIrp(csq, MemorySegment.NULL);
        if (removed.address() != 0) {
            removed.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, NtStatus.STATUS_SUCCESS);
            Io.IoCompleteRequest(removed, 0);
        }
        if (!q.isEmpty()) {
            throw new FuzzInvariantException("an IRP stayed in the cancel-safe queue: " + q);
        }
        if (c.p(0.3)) {
            int irql = Io.IoAcquireCancelSpinLock();
            Io.IoReleaseCancelSpinLock(irql);
        }
        if (c.p(0.3)) {
            Io.IoReuseIrp(irp, 0);
            Io.IoSetCancelRoutine(irp, (d, i) -> { });
            Io.IoSetCancelRoutine(irp, MemorySegment.NULL);
        }
    }

    /** The fuzzer driver's CsqAcquireLock / CsqReleaseLock: its KSPIN_LOCK while the step runs, then the IRQL alone. */
    private record IoCsqLockCallbacks(MemorySegment lock, java.util.concurrent.atomic.AtomicBoolean retired) {
        private static final int DISPATCH_LEVEL = 2;

        void acquire(MemorySegment csq, MemorySegment irql) {
            // Opaque read is enough: the flag only goes false -> true, and a late true merely keeps using the live lock.
            irql.set(JAVA_BYTE, 0, (byte) (retired.getOpaque() ? Ke.KeRaiseIrql(DISPATCH_LEVEL) : Ke.KeAcquireSpinLock(lock)));
        }

        void release(MemorySegment csq, int irql) {
            if (retired.getOpaque()) {
                Ke.KeLowerIrql(irql);
            } else {
                Ke.KeReleaseSpinLock(lock, irql);
            }
        }
    }

    private static MemorySegment peek(ArrayDeque<Long> q, MemorySegment irp) {
        boolean after = irp.address() == 0;
        for (long a : q) {
            if (after) {
                return MemorySegment.ofAddress(a);
            }
            after = a == irp.address();
        }
        return MemorySegment.NULL;
    }

    private static void cancelled(MemorySegment csq, MemorySegment irp) {
        irp.set(JAVA_INT, IRP.IO_STATUS_OFFSET + IO_STATUS_BLOCK.STATUS_OFFSET, NtStatus.STATUS_CANCELLED);
        Io.IoCompleteRequest(irp, 0);
    }

    static void hostile(Ctx c) {
        MemorySegment bad = switch (c.n(3)) {
            case 0 -> MemorySegment.ofAddress(c.unmappedAddress());
            case 1 -> c.anyFuzzBlock();
            default -> MemorySegment.ofAddress(c.pointerValue());
        };
        c.note("hostile " + Ctx.describe(bad));
        switch (c.n(8)) {
            case 0 -> Io.IoFreeIrp(bad);
            case 1 -> Io.IoCompleteRequest(bad, 0);
            case 2 -> Io.IoGetNextIrpStackLocation(bad);
            case 3 -> Io.IoCancelIrp(bad);
            case 4 -> Io.IoDeleteDevice(bad);
            case 5 -> Io.IoCsqRemoveNextIrp(bad, MemorySegment.NULL);
            case 6 -> {
                // an IRP completed twice, or freed and then completed
                MemorySegment irp = Io.IoAllocateIrp(1, false);
                if (irp.address() == 0) {
                    return;
                }
                if (c.p(0.5)) {
                    Io.IoFreeIrp(irp);
                    Io.IoCompleteRequest(irp, 0);
                } else {
                    c.after.add(x -> Io.IoFreeIrp(irp));
                    irp.set(JAVA_LONG, IRP.TAIL_OVERLAY_CURRENT_STACK_LOCATION_OFFSET, c.pointerValue());
                    Io.IoMarkIrpPending(irp);
                }
            }
            default -> {
                MemorySegment[] a = driverWithDevice(c, (d, irp) -> Io.IoCallDriver(d, irp), IoCodes.IRP_MJ_READ); // recursion: 0x35
                if (a == null) {
                    return;
                }
                MemorySegment irp = Io.IoAllocateIrp(1 + c.n(3), false);
                if (irp.address() == 0) {
                    return;
                }
                c.after.add(x -> Io.IoFreeIrp(irp));
                c.after.add(0, x -> Io.IoReuseIrp(irp, 0));
                Io.IoGetNextIrpStackLocation(irp).set(JAVA_BYTE, IO_STACK_LOCATION.MAJOR_FUNCTION_OFFSET, (byte) IoCodes.IRP_MJ_READ);
                Io.IoCallDriver(a[1], irp);
            }
        }
    }
}
