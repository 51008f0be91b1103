package dev.offkern.ddi;

import static dev.offkern.ddi.Ob.*;
import static dev.offkern.ddi.Zw.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.mm.POOL_HEADER;
import dev.offkern.layout.ob.OBJECT_HANDLE_INFORMATION;
import dev.offkern.layout.ob.OBJECT_HEADER;
import dev.offkern.layout.ob.OBJECT_TYPE;
import dev.offkern.layout.ob.OBJECT_TYPE_INITIALIZER;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.OB_OPEN_METHOD;
import dev.offkern.nt.ObjectAttributes;
import dev.offkern.nt.ObjectTypeProcedures;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.ob.ObjectManager;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.mm.BlockMap;
import dev.offkern.runtime.verifier.Verifier;
import dev.offkern.runtime.verifier.VerifierCheck;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The object manager through the DDI: headers and types, references, handles and their values,
 * names, the handle → object → wait path, the documented error statuses and the verifier's bug
 * checks (REFERENCE_BY_POINTER 0x18, INVALID_KERNEL_HANDLE 0x93, 0xC4/0x3F).
 */
class ObTest {
    private static final int TAG = PoolTags.tag("ObTs");

    @TempDir
    Path dumps;

    private Kernel kernel;
    private final List<MemorySegment> blocks = new ArrayList<>();

    private Kernel boot(boolean objectsVerifier) {
        EnumSet<VerifierCheck> checks = EnumSet.allOf(VerifierCheck.class);
        if (!objectsVerifier) {
            checks.remove(VerifierCheck.OBJECTS);
        }
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps).withVerifierChecks(checks))
                .attach().leakReportSink(s -> { });
        return kernel;
    }

    @AfterEach
    void shutdown() {
        if (kernel != null && !kernel.isClosed()) {
            for (MemorySegment b : blocks) {
                Ex.ExFreePool(b);
            }
            kernel.close();
            Kernel.detach();
        }
    }

    /** Frees the test's own blocks, closes the kernel and requires an empty pool report. */
    private void closeWithoutLeaks() {
        for (MemorySegment b : blocks) {
            Ex.ExFreePool(b);
        }
        blocks.clear();
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), () -> "leaked: " + kernel.leakReport());
    }

    private MemorySegment block(long size) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, size, TAG);
        blocks.add(b);
        return b;
    }

    /** A UNICODE_STRING (and its characters) in pool. */
    private MemorySegment unicode(String s) {
        byte[] chars = s.getBytes(StandardCharsets.UTF_16LE);
        MemorySegment b = block(16 + Math.max(2, chars.length));
        b.set(JAVA_SHORT, UNICODE_STRING.LENGTH_OFFSET, (short) chars.length);
        b.set(JAVA_SHORT, UNICODE_STRING.MAXIMUM_LENGTH_OFFSET, (short) chars.length);
        b.set(JAVA_LONG, UNICODE_STRING.BUFFER_OFFSET, b.address() + 16);
        MemorySegment.copy(chars, 0, b, JAVA_BYTE, 16, chars.length);
        return b;
    }

    private MemorySegment attributes(String name, int attributes) {
        MemorySegment oa = block(0x30);
        InitializeObjectAttributes(oa, name == null ? MemorySegment.NULL : unicode(name), attributes, 0, MemorySegment.NULL);
        return oa;
    }

    private long createEvent(String name, int attributes, int access) {
        MemorySegment h = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, ZwCreateEvent(h, access, name == null && attributes == 0 ? MemorySegment.NULL
                : attributes(name, attributes), Ke.NotificationEvent, false));
        return h.get(JAVA_LONG, 0);
    }

    private MemorySegment objectOf(long handle) {
        MemorySegment out = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, ObReferenceObjectByHandle(handle, 0, MemorySegment.NULL, KernelMode, out, MemorySegment.NULL));
        return kernel.addressSpace().resolve(out.get(JAVA_LONG, 0), 8);
    }

    private static String typeName(MemorySegment type, Kernel k) {
        int len = type.get(JAVA_SHORT, OBJECT_TYPE.NAME_OFFSET + UNICODE_STRING.LENGTH_OFFSET);
        long buf = type.get(JAVA_LONG, OBJECT_TYPE.NAME_OFFSET + UNICODE_STRING.BUFFER_OFFSET);
        return new String(k.addressSpace().resolve(buf, len).toArray(JAVA_BYTE), StandardCharsets.UTF_16LE);
    }

    // ===== headers and types =====

    @Test
    void shouldPrecedeEveryObjectWithAByteExactHeaderInPoolUnderItsTypesKey() {
        boot(true);
        long h = createEvent(null, 0, AccessMask.EVENT_ALL_ACCESS);
        MemorySegment event = objectOf(h);
        MemorySegment header = kernel.addressSpace().resolve(event.address() - OBJECT_HEADER.BODY_OFFSET, OBJECT_HEADER.BODY_OFFSET);
        MemorySegment type = ExEventObjectTypeFull();
        assertEquals(type.get(JAVA_BYTE, OBJECT_TYPE.INDEX_OFFSET), header.get(JAVA_BYTE, OBJECT_HEADER.TYPE_INDEX_OFFSET));
        assertEquals(1L, header.get(JAVA_LONG, OBJECT_HEADER.HANDLE_COUNT_OFFSET));
        assertTrue(header.get(JAVA_LONG, OBJECT_HEADER.POINTER_COUNT_OFFSET) >= 2, "the handle's reference and ours");
        assertEquals(0, header.get(JAVA_BYTE, OBJECT_HEADER.FLAGS_OFFSET) & OBJECT_HEADER.OB_FLAG_NEW_OBJECT, "inserted");
        assertEquals(PoolTags.tag("Even"), type.get(JAVA_INT, OBJECT_TYPE.KEY_OFFSET));
        MemorySegment poolHeader = kernel.addressSpace().resolve(header.address() - POOL_HEADER.X64.size(), POOL_HEADER.X64.size());
        assertEquals(PoolTags.tag("Even"), poolHeader.get(JAVA_INT, POOL_HEADER.POOL_TAG_OFFSET), "the block's pool tag is the type's Key");
        assertEquals("Event", typeName(type, kernel));
        assertEquals(type.address(), ObGetObjectType(event).address());
        assertEquals(0, ObGetObjectType(event).address() % 8);
        assertEquals(1, type.get(JAVA_INT, OBJECT_TYPE.TOTAL_NUMBER_OF_OBJECTS_OFFSET));
        assertEquals(1, type.get(JAVA_INT, OBJECT_TYPE.TOTAL_NUMBER_OF_HANDLES_OFFSET));
        MemorySegment typeOfType = ObGetObjectType(type);
        assertEquals("Type", typeName(typeOfType, kernel), "an object type is itself an object of type Type");
        assertEquals(typeOfType.address(), ObGetObjectType(typeOfType).address());
        ObDereferenceObject(event);
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(h));
        assertEquals(0, type.get(JAVA_INT, OBJECT_TYPE.TOTAL_NUMBER_OF_OBJECTS_OFFSET));
        assertEquals(1, type.get(JAVA_INT, OBJECT_TYPE.HIGH_WATER_NUMBER_OF_OBJECTS_OFFSET));
    }

    private static MemorySegment ExEventObjectTypeFull() {
        MemorySegment t = Ex.ExEventObjectType();
        assertTrue(t.byteSize() >= OBJECT_TYPE.X64.size());
        return t;
    }

    @Test
    void shouldGiveEveryBuiltInTypeItsOwnIndexNameAndKey() {
        boot(true);
        MemorySegment[] types = {Ps.PsProcessType(), Ps.PsThreadType(), Ex.ExEventObjectType(), Ex.ExSemaphoreObjectType(),
                Io.IoFileObjectType(), Io.IoDeviceObjectType(), Io.IoDriverObjectType(), Se.SeTokenObjectType()};
        String[] names = {"Process", "Thread", "Event", "Semaphore", "File", "Device", "Driver", "Token"};
        Set<Integer> indexes = new HashSet<>();
        for (int i = 0; i < types.length; i++) {
            assertEquals(names[i], typeName(types[i], kernel));
            assertTrue(indexes.add(types[i].get(JAVA_BYTE, OBJECT_TYPE.INDEX_OFFSET) & 0xFF));
            assertEquals(PoolTags.tag((names[i] + " ").substring(0, 4)), types[i].get(JAVA_INT, OBJECT_TYPE.KEY_OFFSET));
            assertEquals(OBJECT_TYPE_INITIALIZER.X64.size(), types[i].get(JAVA_SHORT, OBJECT_TYPE.TYPE_INFO_OFFSET) & 0xFFFF);
        }
        assertTrue(!indexes.contains(0) && !indexes.contains(1), "indexes 0 and 1 stay unused, as on Windows");
    }

    // ===== a driver's own type =====

    private MemorySegment createType(String name, ObjectTypeProcedures procedures) {
        MemorySegment init = block(OBJECT_TYPE_INITIALIZER.X64.size());
        init.set(JAVA_SHORT, OBJECT_TYPE_INITIALIZER.LENGTH_OFFSET, (short) OBJECT_TYPE_INITIALIZER.X64.size());
        init.set(JAVA_INT, OBJECT_TYPE_INITIALIZER.VALID_ACCESS_MASK_OFFSET, 0x1F0003);
        init.set(JAVA_INT, OBJECT_TYPE_INITIALIZER.POOL_TYPE_OFFSET, PoolType.NonPagedPoolNx);
        MemorySegment out = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, ObCreateObjectType(unicode(name), init, MemorySegment.NULL, out, procedures));
        return kernel.addressSpace().resolve(out.get(JAVA_LONG, 0), OBJECT_TYPE.X64.size());
    }

    private MemorySegment createObject(MemorySegment type, long size) {
        MemorySegment out = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, ObCreateObject(KernelMode, type, MemorySegment.NULL, KernelMode, MemorySegment.NULL,
                (int) size, 0, 0, out));
        return kernel.addressSpace().resolve(out.get(JAVA_LONG, 0), size);
    }

    @Test
    void shouldRunTheDeleteProcedureAtTheLastDereferenceThenReturnTheBlockToItsPool() {
        boot(true);
        AtomicInteger deletes = new AtomicInteger();
        AtomicLong deleted = new AtomicLong();
        MemorySegment type = createType("Widget", new ObjectTypeProcedures(null, null, o -> {
            deletes.incrementAndGet();
            deleted.set(o.address());
            assertEquals(0x5A5AL, o.get(JAVA_LONG, 0), "the body is intact when the delete procedure runs");
        }, null, null));
        assertNotEquals(0L, type.get(JAVA_LONG, OBJECT_TYPE.TYPE_INFO_OFFSET + OBJECT_TYPE_INITIALIZER.DELETE_PROCEDURE_OFFSET),
                "the type holds a real function pointer for its Java delete procedure");
        assertEquals(PoolTags.tag("Widg"), type.get(JAVA_INT, OBJECT_TYPE.KEY_OFFSET));
        MemorySegment w = createObject(type, 64);
        w.set(JAVA_LONG, 0, 0x5A5AL);
        assertEquals(type.address(), ObGetObjectType(w).address());
        assertEquals(2, ObReferenceObject(w));
        assertEquals(1, ObDereferenceObject(w));
        assertEquals(0, deletes.get());
        assertEquals(0, ObDereferenceObject(w));
        assertEquals(1, deletes.get());
        assertEquals(w.address(), deleted.get());
        assertEquals(BlockMap.FREED, kernel.nonPagedPool().liveBytesAt(w.address() - OBJECT_HEADER.BODY_OFFSET));
        assertEquals(0, type.get(JAVA_INT, OBJECT_TYPE.TOTAL_NUMBER_OF_OBJECTS_OFFSET));
    }

    @Test
    void shouldRefuseASecondTypeOfTheSameNameAndABadInitializer() {
        boot(true);
        createType("Gadget", null);
        MemorySegment init = block(OBJECT_TYPE_INITIALIZER.X64.size());
        init.set(JAVA_SHORT, OBJECT_TYPE_INITIALIZER.LENGTH_OFFSET, (short) OBJECT_TYPE_INITIALIZER.X64.size());
        MemorySegment out = block(8);
        assertEquals(NtStatus.STATUS_OBJECT_NAME_COLLISION, ObCreateObjectType(unicode("gadget"), init, MemorySegment.NULL, out));
        init.set(JAVA_SHORT, OBJECT_TYPE_INITIALIZER.LENGTH_OFFSET, (short) 0x70);
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, ObCreateObjectType(unicode("Other"), init, MemorySegment.NULL, out));
        init.set(JAVA_SHORT, OBJECT_TYPE_INITIALIZER.LENGTH_OFFSET, (short) OBJECT_TYPE_INITIALIZER.X64.size());
        init.set(JAVA_LONG, OBJECT_TYPE_INITIALIZER.DELETE_PROCEDURE_OFFSET, 0x1234L);
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, ObCreateObjectType(unicode("Other"), init, MemorySegment.NULL, out),
                "a procedure pointer that is no routine");
    }

    @Test
    void shouldLetTheOpenProcedureNarrowOrRefuseAHandleAndTellTheCloseProcedureTheCounts() {
        boot(true);
        List<String> calls = new ArrayList<>();
        MemorySegment type = createType("Gate", new ObjectTypeProcedures(
                (reason, mode, process, object, granted, handleCount) -> {
                    calls.add("open " + reason + " " + handleCount);
                    if (object.address() == 0 || handleCount >= 2) {
                        return NtStatus.STATUS_ACCESS_DENIED;
                    }
                    granted.set(JAVA_INT, 0, granted.get(JAVA_INT, 0) & ~AccessMask.DELETE);
                    return NtStatus.STATUS_SUCCESS;
                },
                (process, object, access, processCount, systemCount) -> calls.add("close " + Integer.toHexString(access) + " " + systemCount),
                null, null, null));
        MemorySegment g = createObject(type, 16);
        MemorySegment h = block(8);
        MemorySegment info = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, ObInsertObject(g, MemorySegment.NULL, 0x10003, 0, MemorySegment.NULL, h));
        long h1 = h.get(JAVA_LONG, 0);
        MemorySegment obj = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, ObReferenceObjectByHandle(h1, 0, type, KernelMode, obj, info));
        assertEquals(0x3, info.get(JAVA_INT, OBJECT_HANDLE_INFORMATION.GRANTED_ACCESS_OFFSET), "DELETE removed by the open procedure");
        ObDereferenceObject(g);
        assertEquals(NtStatus.STATUS_SUCCESS, ObOpenObjectByPointer(g, 0, MemorySegment.NULL, 1, type, KernelMode, h));
        long h2 = h.get(JAVA_LONG, 0);
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, ObOpenObjectByPointer(g, 0, MemorySegment.NULL, 1, type, KernelMode, h),
                "the open procedure refuses a third handle");
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(h2));
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(h1));
        assertEquals(List.of("open 0 0", "open 1 1", "open 1 2", "close 1 2", "close 3 1"), calls);
    }

    @Test
    void shouldResolveANameThroughItsPrefixesParseProcedure() {
        boot(true);
        MemorySegment leafType = createType("Leaf", null);
        MemorySegment leaf = createObject(leafType, 8);
        List<String> remaining = new ArrayList<>();
        MemorySegment volumeType = createType("Volume", new ObjectTypeProcedures(null, null, null,
                (parseObject, objectType, accessState, accessMode, attrs, complete, rest, context, qos, object) -> {
                    remaining.add(typeNameOf(rest));
                    if (!typeNameOf(rest).equals("\\dir\\file")) {
                        return NtStatus.STATUS_OBJECT_NAME_NOT_FOUND;
                    }
                    ObReferenceObject(leaf);
                    object.set(JAVA_LONG, 0, leaf.address());
                    return NtStatus.STATUS_SUCCESS;
                }, null));
        MemorySegment volume = createObject(volumeType, 8);
        MemorySegment h = block(8);
        MemorySegment oa = attributes("\\Device\\Volume1", 0);
        // ObCreateObject kept the attributes: create through ObCreateObject with them to name it.
        MemorySegment out = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, ObCreateObject(KernelMode, volumeType, oa, KernelMode, MemorySegment.NULL, 8, 0, 0, out));
        MemorySegment named = kernel.addressSpace().resolve(out.get(JAVA_LONG, 0), 8);
        assertEquals(NtStatus.STATUS_SUCCESS, ObInsertObject(named, MemorySegment.NULL, 0, 0, MemorySegment.NULL, h));
        MemorySegment found = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, ObReferenceObjectByName(unicode("\\device\\volume1\\dir\\file"), 0, MemorySegment.NULL, 0,
                leafType, KernelMode, MemorySegment.NULL, found));
        assertEquals(leaf.address(), found.get(JAVA_LONG, 0));
        assertEquals(List.of("\\dir\\file"), remaining);
        assertEquals(NtStatus.STATUS_OBJECT_NAME_NOT_FOUND, ObReferenceObjectByName(unicode("\\Device\\Volume1\\other"), 0,
                MemorySegment.NULL, 0, leafType, KernelMode, MemorySegment.NULL, found));
        assertEquals(NtStatus.STATUS_OBJECT_NAME_NOT_FOUND, ObReferenceObjectByName(unicode("\\Nothing\\here"), 0,
                MemorySegment.NULL, 0, null, KernelMode, MemorySegment.NULL, found));
        assertEquals(NtStatus.STATUS_OBJECT_NAME_INVALID, ObReferenceObjectByName(unicode("relative"), 0,
                MemorySegment.NULL, 0, null, KernelMode, MemorySegment.NULL, found));
        ObDereferenceObject(leaf); // the parse procedure's reference
        ObDereferenceObject(leaf); // the creation reference
        ObDereferenceObject(volume);
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(h.get(JAVA_LONG, 0)));
    }

    private static String typeNameOf(MemorySegment us) {
        MemorySegment u = us.reinterpret(UNICODE_STRING.X64.size());
        int len = u.get(JAVA_SHORT, UNICODE_STRING.LENGTH_OFFSET);
        MemorySegment chars = MemorySegment.ofAddress(u.get(JAVA_LONG, UNICODE_STRING.BUFFER_OFFSET)).reinterpret(len);
        return new String(chars.toArray(JAVA_BYTE), StandardCharsets.UTF_16LE);
    }

    // ===== handles =====

    @Test
    void shouldFormHandleValuesAsWindowsDoesAndNeverReuseOneWhileOpen() {
        boot(true);
        Set<Long> open = new HashSet<>();
        List<Long> order = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            long h = createEvent(null, 0, AccessMask.EVENT_ALL_ACCESS);
            assertEquals(0, h & 3, "a multiple of 4");
            assertTrue(h > 0 && h < 0x80000000L, "a user handle has no kernel bits");
            assertTrue(open.add(h), "handle value reused while open");
            order.add(h);
        }
        for (int i = 0; i < order.size(); i += 2) {
            assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(order.get(i)));
            open.remove(order.get(i));
        }
        for (int i = 0; i < 300; i++) {
            long h = createEvent(null, 0, AccessMask.EVENT_ALL_ACCESS);
            assertTrue(open.add(h), "handle value reused while open");
        }
        long k = createEvent(null, ObjectAttributes.OBJ_KERNEL_HANDLE, AccessMask.EVENT_ALL_ACCESS);
        assertEquals(0xFFFFFFFF80000000L, k & 0xFFFFFFFF80000000L, "a kernel handle has the high bits set");
        assertTrue((int) k < 0, "(LONG)h < 0");
        assertEquals(0, k & 3);
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(k));
        for (long h : open) {
            assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(h));
        }
        closeWithoutLeaks();
    }

    @Test
    void shouldReturnEachDocumentedStatusFromObReferenceObjectByHandle() {
        boot(false);
        long h = createEvent(null, ObjectAttributes.OBJ_INHERIT, AccessMask.EVENT_QUERY_STATE | AccessMask.SYNCHRONIZE);
        MemorySegment out = block(8);
        MemorySegment info = block(8);
        out.set(JAVA_LONG, 0, -1L);
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, ObReferenceObjectByHandle(0x400, 0, MemorySegment.NULL, KernelMode, out, info));
        assertEquals(0L, out.get(JAVA_LONG, 0), "*Object is NULL after a failure");
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, ObReferenceObjectByHandle(0, 0, MemorySegment.NULL, KernelMode, out, info));
        assertEquals(NtStatus.STATUS_OBJECT_TYPE_MISMATCH, ObReferenceObjectByHandle(h, 0, Ps.PsProcessType(), KernelMode, out, info));
        assertEquals(NtStatus.STATUS_ACCESS_DENIED, ObReferenceObjectByHandle(h, AccessMask.EVENT_MODIFY_STATE, Ex.ExEventObjectType(),
                UserMode, out, info), "UserMode: EVENT_MODIFY_STATE is not granted");
        assertEquals(NtStatus.STATUS_SUCCESS, ObReferenceObjectByHandle(h, AccessMask.EVENT_MODIFY_STATE, Ex.ExEventObjectType(),
                KernelMode, out, info), "KernelMode skips the access check");
        assertEquals(AccessMask.EVENT_QUERY_STATE | AccessMask.SYNCHRONIZE, info.get(JAVA_INT, OBJECT_HANDLE_INFORMATION.GRANTED_ACCESS_OFFSET));
        assertEquals(ObjectAttributes.OBJ_INHERIT, info.get(JAVA_INT, OBJECT_HANDLE_INFORMATION.HANDLE_ATTRIBUTES_OFFSET));
        MemorySegment event = kernel.addressSpace().resolve(out.get(JAVA_LONG, 0), 8);
        ObDereferenceObject(event);
        assertEquals(NtStatus.STATUS_SUCCESS, ObReferenceObjectByHandle(h, AccessMask.EVENT_QUERY_STATE, Ex.ExEventObjectType(),
                UserMode, out, MemorySegment.NULL), "UserMode within the granted access");
        ObDereferenceObject(event);
        assertEquals(NtStatus.STATUS_OBJECT_TYPE_MISMATCH, ObReferenceObjectByPointer(event, 0, Io.IoFileObjectType(), KernelMode));
        assertEquals(NtStatus.STATUS_SUCCESS, ObReferenceObjectByPointer(event, 0, Ex.ExEventObjectType(), KernelMode));
        ObDereferenceObject(event);
        long k = createEvent(null, ObjectAttributes.OBJ_KERNEL_HANDLE, AccessMask.EVENT_ALL_ACCESS);
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, ObReferenceObjectByHandle(k, 0, MemorySegment.NULL, UserMode, out, info),
                "a kernel handle is invisible to user mode");
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(k));
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, ObReferenceObjectByHandle(k, 0, MemorySegment.NULL, KernelMode, out, info),
                "a closed kernel handle, verifier off");
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(h));
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, ZwClose(h), "closed twice");
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, ZwClose(k), "a closed kernel handle, verifier off");
    }

    @Test
    void shouldRefuseToCloseAProtectedHandle() {
        boot(false);
        long h = createEvent(null, 0, AccessMask.EVENT_ALL_ACCESS);
        MemorySegment out = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, ZwDuplicateObject(NtCurrentProcess, h, NtCurrentProcess, out, 0,
                ObjectAttributes.OBJ_PROTECT_CLOSE, 0));
        long p = out.get(JAVA_LONG, 0);
        assertEquals(NtStatus.STATUS_HANDLE_NOT_CLOSABLE, ZwClose(p));
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(h));
        MemorySegment obj = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, ObReferenceObjectByHandle(p, 0, MemorySegment.NULL, KernelMode, obj, MemorySegment.NULL),
                "the protected handle still holds the object");
        ObDereferenceObject(kernel.addressSpace().resolve(obj.get(JAVA_LONG, 0), 8));
    }

    @Test
    void shouldDuplicateWithTheRequestedOrTheSameAccessAndCloseTheSource() {
        boot(true);
        long h = createEvent(null, 0, AccessMask.EVENT_ALL_ACCESS);
        MemorySegment out = block(8);
        MemorySegment info = block(8);
        MemorySegment obj = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, ZwDuplicateObject(NtCurrentProcess, h, NtCurrentProcess, out, AccessMask.SYNCHRONIZE, 0, 0));
        long d1 = out.get(JAVA_LONG, 0);
        assertNotEquals(h, d1);
        assertEquals(NtStatus.STATUS_SUCCESS, ObReferenceObjectByHandle(d1, 0, MemorySegment.NULL, KernelMode, obj, info));
        assertEquals(AccessMask.SYNCHRONIZE, info.get(JAVA_INT, OBJECT_HANDLE_INFORMATION.GRANTED_ACCESS_OFFSET));
        MemorySegment event = kernel.addressSpace().resolve(obj.get(JAVA_LONG, 0), 8);
        assertEquals(2, kernel.objects().handleCount(event.address()));
        ObDereferenceObject(event);
        assertEquals(NtStatus.STATUS_SUCCESS, ZwDuplicateObject(NtCurrentProcess, h, NtCurrentProcess, out, 0,
                ObjectAttributes.OBJ_KERNEL_HANDLE, ObjectAttributes.DUPLICATE_SAME_ACCESS | ObjectAttributes.DUPLICATE_CLOSE_SOURCE));
        long d2 = out.get(JAVA_LONG, 0);
        assertTrue((int) d2 < 0, "OBJ_KERNEL_HANDLE: the copy is a kernel handle");
        assertEquals(NtStatus.STATUS_SUCCESS, ObReferenceObjectByHandle(d2, 0, MemorySegment.NULL, KernelMode, obj, info));
        assertEquals(AccessMask.EVENT_ALL_ACCESS, info.get(JAVA_INT, OBJECT_HANDLE_INFORMATION.GRANTED_ACCESS_OFFSET));
        ObDereferenceObject(event);
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, ZwClose(h), "DUPLICATE_CLOSE_SOURCE closed the source");
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, ZwDuplicateObject(NtCurrentProcess, h, NtCurrentProcess, out, 0, 0, 0));
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, ZwDuplicateObject(0x1234, d1, NtCurrentProcess, out, 0, 0, 0),
                "a source process handle that names no process");
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, ZwDuplicateObject(NtCurrentProcess, d1, NtCurrentProcess, out, 0, 0, 0x100));
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(d1));
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(d2));
        closeWithoutLeaks();
    }

    @Test
    void shouldKeepAUserHandleOfAnotherProcessOutOfThisOnesTable() {
        boot(true);
        var other = kernel.objects().newHandleTable();
        long mine = createEvent(null, 0, AccessMask.EVENT_ALL_ACCESS);
        long kernelHandle = createEvent(null, ObjectAttributes.OBJ_KERNEL_HANDLE, AccessMask.EVENT_ALL_ACCESS);
        kernel.objects().attach(other);
        try {
            MemorySegment out = block(8);
            long theirs = createEvent(null, 0, AccessMask.EVENT_ALL_ACCESS);
            assertEquals(mine, theirs, "each process's table numbers its handles from 4");
            assertEquals(NtStatus.STATUS_SUCCESS, ObReferenceObjectByHandle(kernelHandle, 0, MemorySegment.NULL, KernelMode, out,
                    MemorySegment.NULL), "kernel handles are valid in every process");
            ObDereferenceObject(kernel.addressSpace().resolve(out.get(JAVA_LONG, 0), 8));
            assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(theirs));
            assertEquals(NtStatus.STATUS_INVALID_HANDLE, ObReferenceObjectByHandle(mine, 0, MemorySegment.NULL, KernelMode, out,
                    MemorySegment.NULL), "the system process's user handle is not in this table");
        } finally {
            kernel.objects().attach(null);
        }
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(mine));
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(kernelHandle));
    }

    // ===== names and the wait path =====

    @Test
    void shouldOpenANamedEventByNameIgnoringCaseAndForgetTheNameWithTheLastHandle() {
        boot(true);
        long h = createEvent("\\BaseNamedObjects\\Ready", 0, AccessMask.EVENT_ALL_ACCESS);
        MemorySegment out = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, ZwOpenEvent(out, AccessMask.SYNCHRONIZE, attributes("\\basenamedobjects\\READY",
                ObjectAttributes.OBJ_CASE_INSENSITIVE)));
        long h2 = out.get(JAVA_LONG, 0);
        MemorySegment e1 = objectOf(h);
        MemorySegment e2 = objectOf(h2);
        assertEquals(e1.address(), e2.address());
        ObDereferenceObject(e1);
        ObDereferenceObject(e2);
        assertEquals(NtStatus.STATUS_OBJECT_NAME_COLLISION, ZwCreateEvent(out, AccessMask.EVENT_ALL_ACCESS,
                attributes("\\BaseNamedObjects\\Ready", 0), Ke.NotificationEvent, false));
        assertEquals(NtStatus.STATUS_OBJECT_NAME_EXISTS, ZwCreateEvent(out, AccessMask.EVENT_ALL_ACCESS,
                attributes("\\BaseNamedObjects\\Ready", ObjectAttributes.OBJ_OPENIF), Ke.NotificationEvent, false));
        long h3 = out.get(JAVA_LONG, 0);
        assertEquals(NtStatus.STATUS_OBJECT_NAME_NOT_FOUND, ZwOpenEvent(out, 0, attributes("\\BaseNamedObjects\\Other", 0)));
        assertEquals(NtStatus.STATUS_OBJECT_NAME_INVALID, ZwOpenEvent(out, 0, attributes("NoBackslash", 0)));
        assertEquals(NtStatus.STATUS_OBJECT_NAME_INVALID, ZwOpenEvent(out, 0, MemorySegment.NULL));
        MemorySegment widgetType = createType("Named", null);
        MemorySegment o = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, ObCreateObject(KernelMode, widgetType, attributes("\\Other\\Thing", 0), KernelMode,
                MemorySegment.NULL, 8, 0, 0, o));
        MemorySegment hw = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, ObInsertObject(kernel.addressSpace().resolve(o.get(JAVA_LONG, 0), 8), MemorySegment.NULL,
                0, 0, MemorySegment.NULL, hw));
        assertEquals(NtStatus.STATUS_OBJECT_TYPE_MISMATCH, ZwOpenEvent(out, 0, attributes("\\Other\\Thing", 0)));
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(hw.get(JAVA_LONG, 0)));
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(h));
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(h2));
        assertEquals(NtStatus.STATUS_SUCCESS, ZwOpenEvent(out, 0, attributes("\\BaseNamedObjects\\Ready", 0)), "one handle is left");
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(out.get(JAVA_LONG, 0)));
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(h3));
        assertEquals(NtStatus.STATUS_OBJECT_NAME_NOT_FOUND, ZwOpenEvent(out, 0, attributes("\\BaseNamedObjects\\Ready", 0)),
                "the name went with the last handle");
        closeWithoutLeaks();
    }

    @Test
    void shouldWaitOnAnEventThroughItsHandleUntilAnotherThreadSetsIt() throws Exception {
        boot(true);
        long h = createEvent("\\BaseNamedObjects\\Go", 0, AccessMask.EVENT_ALL_ACCESS);
        assertEquals(NtStatus.STATUS_TIMEOUT, ZwWaitForSingleObject(h, false, MemorySegment.ofArray(new long[] {0})));
        CompletableFuture<Integer> waiter = CompletableFuture.supplyAsync(() -> {
            kernel.attach();
            try {
                MemorySegment out = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 8, TAG);
                MemorySegment oa = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 0x30, TAG);
                MemorySegment name = unicodeIn("\\BaseNamedObjects\\Go");
                InitializeObjectAttributes(oa, name, 0, 0, MemorySegment.NULL);
                int st = ZwOpenEvent(out, AccessMask.SYNCHRONIZE, oa);
                long mine = out.get(JAVA_LONG, 0);
                Ex.ExFreePool(out);
                Ex.ExFreePool(oa);
                Ex.ExFreePool(name);
                if (st != NtStatus.STATUS_SUCCESS) {
                    return st;
                }
                int w = ZwWaitForSingleObject(mine, false, MemorySegment.NULL);
                ZwClose(mine);
                return w;
            } finally {
                Kernel.detach();
            }
        });
        Thread.sleep(50);
        MemorySegment previous = block(4);
        previous.set(JAVA_INT, 0, 7);
        assertEquals(NtStatus.STATUS_SUCCESS, ZwSetEvent(h, previous));
        assertEquals(0, previous.get(JAVA_INT, 0), "the event was not signalled before");
        assertEquals(NtStatus.STATUS_SUCCESS, waiter.get(10, TimeUnit.SECONDS));
        assertEquals(NtStatus.STATUS_SUCCESS, ZwWaitForSingleObject(h, false, MemorySegment.NULL), "a notification event stays signalled");
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, ZwSetEvent(0x7FFC, MemorySegment.NULL));
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, ZwWaitForSingleObject(0x7FFC, false, MemorySegment.NULL));
        MemorySegment t = createType("NotWaitable", null);
        MemorySegment o = createObject(t, 8);
        MemorySegment oh = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, ObInsertObject(o, MemorySegment.NULL, 0, 0, MemorySegment.NULL, oh));
        assertEquals(NtStatus.STATUS_OBJECT_TYPE_MISMATCH, ZwWaitForSingleObject(oh.get(JAVA_LONG, 0), false, MemorySegment.NULL));
        assertEquals(NtStatus.STATUS_OBJECT_TYPE_MISMATCH, ZwSetEvent(oh.get(JAVA_LONG, 0), MemorySegment.NULL));
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(oh.get(JAVA_LONG, 0)));
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(h));
    }

    private static MemorySegment unicodeIn(String s) {
        byte[] chars = s.getBytes(StandardCharsets.UTF_16LE);
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 16 + chars.length, TAG);
        b.set(JAVA_SHORT, UNICODE_STRING.LENGTH_OFFSET, (short) chars.length);
        b.set(JAVA_SHORT, UNICODE_STRING.MAXIMUM_LENGTH_OFFSET, (short) chars.length);
        b.set(JAVA_LONG, UNICODE_STRING.BUFFER_OFFSET, b.address() + 16);
        MemorySegment.copy(chars, 0, b, JAVA_BYTE, 16, chars.length);
        return b;
    }

    @Test
    void shouldRefuseBadObjectAttributes() {
        boot(true);
        MemorySegment out = block(8);
        MemorySegment oa = attributes("\\A", ObjectAttributes.OBJ_EXCLUSIVE);
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, ZwCreateEvent(out, 0, oa, Ke.NotificationEvent, false));
        oa = attributes("\\A", 0);
        oa.set(JAVA_INT, 0, 0x18);
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, ZwCreateEvent(out, 0, oa, Ke.NotificationEvent, false), "bad Length");
        assertEquals(NtStatus.STATUS_INVALID_PARAMETER, ZwCreateEvent(out, 0, MemorySegment.NULL, 7, false), "bad EventType");
        closeWithoutLeaks();
    }

    // ===== OBJ_PERMANENT =====

    private static int headerFlags(MemorySegment object) {
        return MemorySegment.ofAddress(object.address() - ObjectManager.HEADER_SIZE).reinterpret(ObjectManager.HEADER_SIZE)
                .get(JAVA_BYTE, dev.offkern.layout.ob.OBJECT_HEADER.FLAGS_OFFSET) & 0xFF;
    }

    private int openByName(String name, MemorySegment out) {
        return ZwOpenEvent(out, AccessMask.EVENT_ALL_ACCESS, attributes(name, ObjectAttributes.OBJ_KERNEL_HANDLE));
    }

    @Test
    void shouldKeepAPermanentNamedObjectWithoutHandlesUntilItIsMadeTemporary() {
        boot(true);
        long h = createEvent("\\Permanent", ObjectAttributes.OBJ_PERMANENT | ObjectAttributes.OBJ_KERNEL_HANDLE, AccessMask.EVENT_ALL_ACCESS);
        MemorySegment event = objectOf(h);
        assertEquals(dev.offkern.layout.ob.OBJECT_HEADER.OB_FLAG_PERMANENT_OBJECT,
                headerFlags(event) & dev.offkern.layout.ob.OBJECT_HEADER.OB_FLAG_PERMANENT_OBJECT);
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(h));
        assertEquals(0L, kernel.objects().handleCount(event.address()));
        assertEquals(2L, kernel.objects().pointerCount(event.address())); // ours and the name's
        MemorySegment out = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, openByName("\\PERMANENT", out), "the name outlives the last handle");
        MemorySegment again = objectOf(out.get(JAVA_LONG, 0));
        assertEquals(event.address(), again.address());
        ObDereferenceObject(again);
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(out.get(JAVA_LONG, 0)));
        ObMakeTemporaryObject(event); // no handle: the name and its reference go now
        assertEquals(0, headerFlags(event) & dev.offkern.layout.ob.OBJECT_HEADER.OB_FLAG_PERMANENT_OBJECT);
        assertEquals(NtStatus.STATUS_OBJECT_NAME_NOT_FOUND, openByName("\\Permanent", out));
        assertEquals(1L, kernel.objects().pointerCount(event.address()));
        ObMakeTemporaryObject(event); // temporary already: no effect
        ObDereferenceObject(event);
        closeWithoutLeaks();
    }

    @Test
    void shouldDropTheNameWithTheLastHandleOfAnObjectMadeTemporaryWhileOpen() {
        boot(true);
        long h = createEvent("\\Kept", ObjectAttributes.OBJ_PERMANENT | ObjectAttributes.OBJ_KERNEL_HANDLE, AccessMask.EVENT_ALL_ACCESS);
        assertEquals(NtStatus.STATUS_SUCCESS, ZwMakeTemporaryObject(h));
        MemorySegment out = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, openByName("\\Kept", out), "named while a handle is open");
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(out.get(JAVA_LONG, 0)));
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(h));
        assertEquals(NtStatus.STATUS_OBJECT_NAME_NOT_FOUND, openByName("\\Kept", out));
        closeWithoutLeaks(); // the name's reference went with the last handle
    }

    @Test
    void shouldReportAPermanentObjectLeftAtCloseAndRejectBadTemporaryRequests() {
        boot(true);
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, ZwMakeTemporaryObject(0x7FFC));
        assertThrows(IllegalArgumentException.class, () -> ObMakeTemporaryObject(MemorySegment.NULL));
        long unnamed = createEvent(null, ObjectAttributes.OBJ_PERMANENT, AccessMask.EVENT_ALL_ACCESS);
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(unnamed)); // an unnamed object ignores OBJ_PERMANENT: deleted here
        long h = createEvent("\\Left", ObjectAttributes.OBJ_PERMANENT | ObjectAttributes.OBJ_KERNEL_HANDLE, AccessMask.EVENT_ALL_ACCESS);
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(h));
        for (MemorySegment b : blocks) {
            Ex.ExFreePool(b);
        }
        blocks.clear();
        kernel.close();
        assertFalse(kernel.leakReport().isEmpty(), "a permanent object alive at close is reported");
    }

    // ===== the verifier =====

    @Test
    void shouldBugCheckReferenceByPointerWhenADeadObjectIsDereferenced() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Verifier.ENABLED);
        boot(true);
        MemorySegment type = createType("Fragile", null);
        MemorySegment f = createObject(type, 16);
        assertEquals(0, ObDereferenceObject(f));
        BugCheck b = assertThrows(BugCheck.class, () -> ObDereferenceObject(f));
        assertEquals(BugCheckCode.REFERENCE_BY_POINTER, b.code());
        assertEquals(f.address(), b.parameter2());
        BugCheck r = assertThrows(BugCheck.class, () -> ObReferenceObject(f));
        assertEquals(BugCheckCode.REFERENCE_BY_POINTER, r.code());
    }

    @Test
    void shouldBugCheckReferenceByPointerForADereferenceAfterTheLastEvenWithTheObjectsVerifierOff() {
        // The deleted object's header is poisoned (TypeIndex 1) before its block is freed: the extra
        // dereference that would take the count below zero is caught without the verifier too.
        boot(false);
        MemorySegment type = createType("Overdrawn", null);
        MemorySegment o = createObject(type, 16);
        assertEquals(2, ObReferenceObject(o));
        assertEquals(1, ObDereferenceObject(o));
        assertEquals(0, ObDereferenceObject(o));
        BugCheck b = assertThrows(BugCheck.class, () -> ObDereferenceObject(o));
        assertEquals(BugCheckCode.REFERENCE_BY_POINTER, b.code());
        assertEquals(0, b.parameter1(), "no type: the object is dead");
        assertEquals(o.address(), b.parameter2());
    }

    @Test
    void shouldBugCheckWhenAnObjectIsReferencedFromItsOwnDeleteProcedure() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Verifier.ENABLED);
        boot(true);
        List<BugCheck> seen = new ArrayList<>();
        MemorySegment type = createType("Phoenix", new ObjectTypeProcedures(null, null, o -> {
            try {
                ObReferenceObject(o);
            } catch (BugCheck b) {
                seen.add(b);
            }
        }, null, null));
        MemorySegment p = createObject(type, 16);
        ObDereferenceObject(p);
        assertEquals(1, seen.size());
        assertEquals(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, seen.get(0).code());
        assertEquals(0x3F, seen.get(0).parameter1());
        assertEquals(p.address(), seen.get(0).parameter2());
        assertEquals(1, seen.get(0).parameter3());
    }

    @Test
    void shouldBugCheckInvalidKernelHandleForAKernelHandleUsedAfterItsClose() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Verifier.ENABLED);
        boot(true);
        long k = createEvent(null, ObjectAttributes.OBJ_KERNEL_HANDLE, AccessMask.EVENT_ALL_ACCESS);
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(k));
        BugCheck c = assertThrows(BugCheck.class, () -> ZwClose(k));
        assertEquals(BugCheckCode.INVALID_KERNEL_HANDLE, c.code());
        assertEquals(k, c.parameter1());
        assertEquals(1, c.parameter2());
        MemorySegment out = block(8);
        BugCheck r = assertThrows(BugCheck.class, () -> ObReferenceObjectByHandle(k, 0, MemorySegment.NULL, KernelMode, out,
                MemorySegment.NULL));
        assertEquals(BugCheckCode.INVALID_KERNEL_HANDLE, r.code());
        assertEquals(k, r.parameter1());
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, ZwClose(0x400), "a user handle that is not open is a status, not a bug check");
    }

    @Test
    void shouldBugCheckInvalidKernelHandleWhenUserModeClosesAKernelHandle() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Verifier.ENABLED);
        boot(true);
        long k = createEvent(null, ObjectAttributes.OBJ_KERNEL_HANDLE, AccessMask.EVENT_ALL_ACCESS);
        BugCheck c = assertThrows(BugCheck.class, () -> kernel.objects().callFromUserMode(() -> NtClose(k)));
        assertEquals(BugCheckCode.INVALID_KERNEL_HANDLE, c.code());
        assertEquals(k, c.parameter1());
        assertEquals(1, c.parameter2());
        assertEquals(NtStatus.STATUS_SUCCESS, NtClose(k), "still open: kernel mode closes it");
        MemorySegment out = block(8);
        long h = createEvent(null, 0, AccessMask.EVENT_ALL_ACCESS);
        assertEquals(NtStatus.STATUS_SUCCESS, ZwDuplicateObject(NtCurrentProcess, h, NtCurrentProcess, out, 0,
                ObjectAttributes.OBJ_KERNEL_HANDLE | ObjectAttributes.OBJ_PROTECT_CLOSE, ObjectAttributes.DUPLICATE_SAME_ACCESS));
        long p = out.get(JAVA_LONG, 0);
        BugCheck prot = assertThrows(BugCheck.class, () -> ZwClose(p));
        assertEquals(BugCheckCode.INVALID_KERNEL_HANDLE, prot.code());
        assertEquals(0, prot.parameter2(), "0: a protected handle");
        assertEquals(NtStatus.STATUS_SUCCESS, ZwClose(h));
    }

    @Test
    void shouldReturnTheStatusesInsteadOfBugChecksWithTheObjectsVerifierOff() {
        boot(false);
        long k = createEvent(null, ObjectAttributes.OBJ_KERNEL_HANDLE, AccessMask.EVENT_ALL_ACCESS);
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, kernel.objects().callFromUserMode(() -> NtClose(k)));
        assertEquals(NtStatus.STATUS_SUCCESS, NtClose(k));
        assertEquals(NtStatus.STATUS_INVALID_HANDLE, NtClose(k));
    }
}
