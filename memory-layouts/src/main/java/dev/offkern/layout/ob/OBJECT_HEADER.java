package dev.offkern.layout.ob;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.OpaqueParts;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The header the object manager places immediately before every object body (opaque): Windows
 * 10 22H2's layout, 0x38 bytes on x64 and 0x20 on x86, every field at Windows' offset. The body
 * starts at {@code Body} (0x30 / 0x18), so {@code header = body - BODY_OFFSET}; optional headers
 * (name, handle, quota, creator information, selected by {@code InfoMask}) precede the header.
 *
 * <pre>{@code
 * typedef struct _OBJECT_HEADER {                    // x64   x86
 *   LONG_PTR PointerCount;                           // 0x00  0x00
 *   union { LONG_PTR HandleCount; PVOID NextToFree; };// 0x08  0x04
 *   EX_PUSH_LOCK Lock;                               // 0x10  0x08
 *   UCHAR TypeIndex;                                 // 0x18  0x0c  (encoded index into the type table)
 *   union { UCHAR TraceFlags; struct {               // 0x19  0x0d
 *     UCHAR DbgRefTrace:1; UCHAR DbgTracePermanent:1; }; };
 *   UCHAR InfoMask;                                  // 0x1a  0x0e
 *   union { UCHAR Flags; struct {                    // 0x1b  0x0f
 *     UCHAR NewObject:1; UCHAR KernelObject:1; UCHAR KernelOnlyAccess:1; UCHAR ExclusiveObject:1;
 *     UCHAR PermanentObject:1; UCHAR DefaultSecurityQuota:1; UCHAR SingleHandleEntry:1;
 *     UCHAR DeletedInline:1; }; };
 * #ifdef _WIN64
 *   ULONG Reserved;                                  // 0x1c
 * #endif
 *   union { POBJECT_CREATE_INFORMATION ObjectCreateInfo; PVOID QuotaBlockCharged; }; // 0x20 0x10
 *   PVOID SecurityDescriptor;                        // 0x28  0x14
 *   QUAD Body;                                       // 0x30  0x18
 * } OBJECT_HEADER;                                   // 0x38  0x20, 8-aligned
 * }</pre>
 *
 * <p>{@code Flags} bits, least significant first:
 * <pre>
 *   7   6   5   4   3   2   1   0
 * +---+---+---+---+---+---+---+---+
 * |DI |SHE|DSQ|PO |EO |KOA|KO |NO |  NewObject, KernelObject, KernelOnlyAccess, ExclusiveObject,
 * +---+---+---+---+---+---+---+---+  PermanentObject, DefaultSecurityQuota, SingleHandleEntry, DeletedInline
 * </pre>
 * The {@code *_OFFSET} constants are the x64 offsets; use {@link #of(Abi)} for x86.
 */
public final class OBJECT_HEADER {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** LONG_PTR: references (pointer count); the object dies when this and HandleCount reach 0. */
    public static final long POINTER_COUNT_OFFSET = X64.offset("PointerCount");
    /** LONG_PTR: open handles; overlaid by NextToFree once the object is queued for deletion. */
    public static final long HANDLE_COUNT_OFFSET = X64.offset("HandleCount");
    /** PVOID: link in the deferred-delete list (after both counts reached 0). */
    public static final long NEXT_TO_FREE_OFFSET = X64.offset("NextToFree");
    /** EX_PUSH_LOCK: the per-object lock (security descriptor, handle database). */
    public static final long LOCK_OFFSET = X64.offset("Lock");
    /** UCHAR: index of the object's OBJECT_TYPE in the type table. */
    public static final long TYPE_INDEX_OFFSET = X64.offset("TypeIndex");
    /** UCHAR: reference-tracing flags. */
    public static final long TRACE_FLAGS_OFFSET = X64.offset("TraceFlags");
    /** UCHAR: which optional headers precede this header (bit 0 creator info, 1 name, 2 handle, 3 quota, ...). */
    public static final long INFO_MASK_OFFSET = X64.offset("InfoMask");
    /** UCHAR: the object flags (diagram above). */
    public static final long FLAGS_OFFSET = X64.offset("Flags");
    /** POBJECT_CREATE_INFORMATION: creation attributes while the object is being created. */
    public static final long OBJECT_CREATE_INFO_OFFSET = X64.offset("ObjectCreateInfo");
    /** PVOID: the object's security descriptor (fast-referenced), or NULL. */
    public static final long SECURITY_DESCRIPTOR_OFFSET = X64.offset("SecurityDescriptor");
    /** QUAD: the first bytes of the object body; the object pointer drivers see points here. */
    public static final long BODY_OFFSET = X64.offset("Body");

    /** {@code Flags} bit: the object has been created but not yet inserted. */
    public static final int OB_FLAG_NEW_OBJECT = 0x01;
    /** {@code Flags} bit: created with OBJ_KERNEL_HANDLE. */
    public static final int OB_FLAG_KERNEL_OBJECT = 0x02;
    /** {@code Flags} bit: only kernel-mode callers may open it. */
    public static final int OB_FLAG_KERNEL_ONLY_ACCESS = 0x04;
    /** {@code Flags} bit: created with OBJ_EXCLUSIVE. */
    public static final int OB_FLAG_EXCLUSIVE_OBJECT = 0x08;
    /** {@code Flags} bit: created with OBJ_PERMANENT (survives the last handle/reference). */
    public static final int OB_FLAG_PERMANENT_OBJECT = 0x10;
    /** {@code Flags} bit: charged the default security quota. */
    public static final int OB_FLAG_DEFAULT_SECURITY_QUOTA = 0x20;
    /** {@code Flags} bit: the handle database has a single entry. */
    public static final int OB_FLAG_SINGLE_HANDLE_ENTRY = 0x40;
    /** {@code Flags} bit: deleted inline rather than by a worker. */
    public static final int OB_FLAG_DELETED_INLINE = 0x80;

    private OBJECT_HEADER() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        CStruct.Builder b = CStruct.opaque("OBJECT_HEADER", abi)
                .field("PointerCount", CType.LONG_PTR)
                .union(null, u -> u.field("HandleCount", CType.LONG_PTR).field("NextToFree", CType.PVOID))
                .field("Lock", OpaqueParts.exPushLock(abi))
                .field("TypeIndex", CType.UCHAR)
                .union(null, u -> u.field("TraceFlags", CType.UCHAR)
                        .struct(null, s -> s.bits(CType.UCHAR, "DbgRefTrace", 1, "DbgTracePermanent", 1)))
                .field("InfoMask", CType.UCHAR)
                .union(null, u -> u.field("Flags", CType.UCHAR)
                        .struct(null, s -> s.bits(CType.UCHAR, "NewObject", 1, "KernelObject", 1,
                                "KernelOnlyAccess", 1, "ExclusiveObject", 1, "PermanentObject", 1,
                                "DefaultSecurityQuota", 1, "SingleHandleEntry", 1, "DeletedInline", 1)));
        if (abi == Abi.X64) {
            b.field("Reserved", CType.ULONG);
        }
        return b.union(null, u -> u.field("ObjectCreateInfo", CType.pointer("POBJECT_CREATE_INFORMATION"))
                        .field("QuotaBlockCharged", CType.PVOID))
                .field("SecurityDescriptor", CType.PVOID)
                .field("Body", new CType("QUAD", 8, 8))
                .alignAs(8)
                .build();
    }
}
