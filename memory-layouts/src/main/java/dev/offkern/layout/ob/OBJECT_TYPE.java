package dev.offkern.layout.ob;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.OpaqueParts;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.layout.rtl.UNICODE_STRING;

import java.lang.foreign.StructLayout;

/**
 * An object type (opaque; what {@code POBJECT_TYPE} values such as {@code *PsProcessType} point
 * to): Windows 10 22H2's layout, 0xd8 bytes on x64 and 0x90 on x86, every field at Windows'
 * offset. The creation parameters are the embedded {@link OBJECT_TYPE_INITIALIZER}
 * {@code TypeInfo}: a member of it lives at {@code TYPE_INFO_OFFSET + OBJECT_TYPE_INITIALIZER.X_OFFSET}.
 *
 * <pre>{@code
 * typedef struct _OBJECT_TYPE {                      // x64   x86
 *   LIST_ENTRY TypeList;                             // 0x00  0x00  (objects of this type, if MaintainTypeList)
 *   UNICODE_STRING Name;                             // 0x10  0x08  ("Process", "Thread", ...)
 *   PVOID DefaultObject;                             // 0x20  0x10  (what waits use when the body has no dispatcher header)
 *   UCHAR Index;                                     // 0x28  0x14  (this type's index in the type table)
 *   ULONG TotalNumberOfObjects;                      // 0x2c  0x18
 *   ULONG TotalNumberOfHandles;                      // 0x30  0x1c
 *   ULONG HighWaterNumberOfObjects;                  // 0x34  0x20
 *   ULONG HighWaterNumberOfHandles;                  // 0x38  0x24
 *   OBJECT_TYPE_INITIALIZER TypeInfo;                // 0x40  0x28
 *   EX_PUSH_LOCK TypeLock;                           // 0xb8  0x80
 *   ULONG Key;                                       // 0xc0  0x84  (pool tag of the bodies)
 *   LIST_ENTRY CallbackList;                         // 0xc8  0x88  (ObRegisterCallbacks registrations)
 * } OBJECT_TYPE;                                     // 0xd8  0x90
 * }</pre>
 * The {@code *_OFFSET} constants are the x64 offsets; use {@link #of(Abi)} for x86.
 */
public final class OBJECT_TYPE {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** LIST_ENTRY: head of the objects of this type (when TypeInfo.MaintainTypeList). */
    public static final long TYPE_LIST_OFFSET = X64.offset("TypeList");
    /** UNICODE_STRING: the type's name. */
    public static final long NAME_OFFSET = X64.offset("Name");
    /** PVOID: the dispatcher object waits use for bodies without one. */
    public static final long DEFAULT_OBJECT_OFFSET = X64.offset("DefaultObject");
    /** UCHAR: this type's index in the type table (OBJECT_HEADER.TypeIndex, before encoding). */
    public static final long INDEX_OFFSET = X64.offset("Index");
    /** ULONG: live objects of this type. */
    public static final long TOTAL_NUMBER_OF_OBJECTS_OFFSET = X64.offset("TotalNumberOfObjects");
    /** ULONG: open handles to objects of this type. */
    public static final long TOTAL_NUMBER_OF_HANDLES_OFFSET = X64.offset("TotalNumberOfHandles");
    /** ULONG: the most objects ever alive at once. */
    public static final long HIGH_WATER_NUMBER_OF_OBJECTS_OFFSET = X64.offset("HighWaterNumberOfObjects");
    /** ULONG: the most handles ever open at once. */
    public static final long HIGH_WATER_NUMBER_OF_HANDLES_OFFSET = X64.offset("HighWaterNumberOfHandles");
    /** OBJECT_TYPE_INITIALIZER: the creation parameters. */
    public static final long TYPE_INFO_OFFSET = X64.offset("TypeInfo");
    /** EX_PUSH_LOCK: guards TypeList and CallbackList. */
    public static final long TYPE_LOCK_OFFSET = X64.offset("TypeLock");
    /** ULONG: the pool tag of object bodies of this type. */
    public static final long KEY_OFFSET = X64.offset("Key");
    /** LIST_ENTRY: head of the ObRegisterCallbacks registrations. */
    public static final long CALLBACK_LIST_OFFSET = X64.offset("CallbackList");

    private OBJECT_TYPE() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.opaque("OBJECT_TYPE", abi)
                .field("TypeList", LIST_ENTRY.of(abi))
                .field("Name", UNICODE_STRING.of(abi))
                .field("DefaultObject", CType.PVOID)
                .field("Index", CType.UCHAR)
                .field("TotalNumberOfObjects", CType.ULONG)
                .field("TotalNumberOfHandles", CType.ULONG)
                .field("HighWaterNumberOfObjects", CType.ULONG)
                .field("HighWaterNumberOfHandles", CType.ULONG)
                .field("TypeInfo", OBJECT_TYPE_INITIALIZER.of(abi))
                .field("TypeLock", OpaqueParts.exPushLock(abi))
                .field("Key", CType.ULONG)
                .field("CallbackList", LIST_ENTRY.of(abi))
                .build();
    }
}
