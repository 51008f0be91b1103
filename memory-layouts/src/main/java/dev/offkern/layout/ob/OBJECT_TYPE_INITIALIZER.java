package dev.offkern.layout.ob;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.se.GENERIC_MAPPING;

import java.lang.foreign.StructLayout;

/**
 * The creation parameters of an object type (opaque), embedded in {@link OBJECT_TYPE} as
 * {@code TypeInfo}: Windows 10 22H2's layout, 0x78 bytes on x64 and 0x58 on x86, every field at
 * Windows' offset.
 *
 * <pre>{@code
 * typedef struct _OBJECT_TYPE_INITIALIZER {          // x64   x86
 *   USHORT Length;                                   // 0x00  0x00  (sizeof this structure)
 *   union { USHORT ObjectTypeFlags; struct {         // 0x02  0x02
 *     UCHAR CaseInsensitive:1; UCHAR UnnamedObjectsOnly:1; UCHAR UseDefaultObject:1;
 *     UCHAR SecurityRequired:1; UCHAR MaintainHandleCount:1; UCHAR MaintainTypeList:1;
 *     UCHAR SupportsObjectCallbacks:1; UCHAR CacheAligned:1;          // 0x02 b0..b7
 *     UCHAR UseExtendedParameters:1; UCHAR Reserved:7; }; };         // 0x03 b0, b1..b7
 *   ULONG ObjectTypeCode;                            // 0x04  0x04
 *   ULONG InvalidAttributes;                         // 0x08  0x08  (OBJ_* attributes refused)
 *   GENERIC_MAPPING GenericMapping;                  // 0x0c  0x0c
 *   ULONG ValidAccessMask;                           // 0x1c  0x1c
 *   ULONG RetainAccess;                              // 0x20  0x20
 *   POOL_TYPE PoolType;                              // 0x24  0x24
 *   ULONG DefaultPagedPoolCharge;                    // 0x28  0x28
 *   ULONG DefaultNonPagedPoolCharge;                 // 0x2c  0x2c
 *   OB_DUMP_METHOD DumpProcedure;                    // 0x30  0x30
 *   OB_OPEN_METHOD OpenProcedure;                    // 0x38  0x34
 *   OB_CLOSE_METHOD CloseProcedure;                  // 0x40  0x38
 *   OB_DELETE_METHOD DeleteProcedure;                // 0x48  0x3c
 *   union { OB_PARSE_METHOD ParseProcedure; OB_PARSE_METHOD_EX ParseProcedureEx; }; // 0x50 0x40
 *   OB_SECURITY_METHOD SecurityProcedure;            // 0x58  0x44
 *   OB_QUERYNAME_METHOD QueryNameProcedure;          // 0x60  0x48
 *   OB_OKAYTOCLOSE_METHOD OkayToCloseProcedure;      // 0x68  0x4c
 *   ULONG WaitObjectFlagMask;                        // 0x70  0x50
 *   USHORT WaitObjectFlagOffset;                     // 0x74  0x54
 *   USHORT WaitObjectPointerOffset;                  // 0x76  0x56
 * } OBJECT_TYPE_INITIALIZER;                         // 0x78  0x58
 * }</pre>
 * The {@code *_OFFSET} constants are the x64 offsets; use {@link #of(Abi)} for x86.
 */
public final class OBJECT_TYPE_INITIALIZER {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** USHORT: sizeof(OBJECT_TYPE_INITIALIZER). */
    public static final long LENGTH_OFFSET = X64.offset("Length");
    /** USHORT: the type's flag bits (CaseInsensitive b0 ... UseExtendedParameters b8). */
    public static final long OBJECT_TYPE_FLAGS_OFFSET = X64.offset("ObjectTypeFlags");
    /** ULONG: OBJ_* attributes that objects of this type refuse. */
    public static final long INVALID_ATTRIBUTES_OFFSET = X64.offset("InvalidAttributes");
    /** GENERIC_MAPPING: how GENERIC_READ/WRITE/EXECUTE/ALL map to specific rights. */
    public static final long GENERIC_MAPPING_OFFSET = X64.offset("GenericMapping");
    /** ULONG (ACCESS_MASK): every right that is valid for this type. */
    public static final long VALID_ACCESS_MASK_OFFSET = X64.offset("ValidAccessMask");
    /** POOL_TYPE: the pool object bodies come from. */
    public static final long POOL_TYPE_OFFSET = X64.offset("PoolType");
    /** OB_OPEN_METHOD: called before a handle is created. */
    public static final long OPEN_PROCEDURE_OFFSET = X64.offset("OpenProcedure");
    /** OB_PARSE_METHOD: continues a name lookup inside an object of this type. */
    public static final long PARSE_PROCEDURE_OFFSET = X64.offset("ParseProcedure");
    /** OB_SECURITY_METHOD: assigns, queries, sets and deletes the objects' security descriptors. */
    public static final long SECURITY_PROCEDURE_OFFSET = X64.offset("SecurityProcedure");
    /** ULONG: the type code (offkern: the type's index). */
    public static final long OBJECT_TYPE_CODE_OFFSET = X64.offset("ObjectTypeCode");
    /** ULONG (ACCESS_MASK): rights kept when access is reduced. */
    public static final long RETAIN_ACCESS_OFFSET = X64.offset("RetainAccess");
    /** ULONG: default paged-pool quota charge of an object of this type. */
    public static final long DEFAULT_PAGED_POOL_CHARGE_OFFSET = X64.offset("DefaultPagedPoolCharge");
    /** ULONG: default non-paged-pool quota charge of an object of this type. */
    public static final long DEFAULT_NON_PAGED_POOL_CHARGE_OFFSET = X64.offset("DefaultNonPagedPoolCharge");
    /** OB_CLOSE_METHOD: called when a handle is closed. */
    public static final long CLOSE_PROCEDURE_OFFSET = X64.offset("CloseProcedure");
    /** OB_DELETE_METHOD: called when the object dies (both counts reached 0). */
    public static final long DELETE_PROCEDURE_OFFSET = X64.offset("DeleteProcedure");
    /** OB_OKAYTOCLOSE_METHOD: may refuse a handle close. */
    public static final long OKAY_TO_CLOSE_PROCEDURE_OFFSET = X64.offset("OkayToCloseProcedure");

    private OBJECT_TYPE_INITIALIZER() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.opaque("OBJECT_TYPE_INITIALIZER", abi)
                .field("Length", CType.USHORT)
                .union(null, u -> u.field("ObjectTypeFlags", CType.USHORT)
                        .struct(null, s -> s.bits(CType.UCHAR, "CaseInsensitive", 1, "UnnamedObjectsOnly", 1,
                                "UseDefaultObject", 1, "SecurityRequired", 1, "MaintainHandleCount", 1,
                                "MaintainTypeList", 1, "SupportsObjectCallbacks", 1, "CacheAligned", 1,
                                "UseExtendedParameters", 1, "Reserved", 7)))
                .field("ObjectTypeCode", CType.ULONG)
                .field("InvalidAttributes", CType.ULONG)
                .field("GenericMapping", GENERIC_MAPPING.of(abi))
                .field("ValidAccessMask", CType.ULONG)
                .field("RetainAccess", CType.ULONG)
                .field("PoolType", new CType("POOL_TYPE", 4, 4))
                .field("DefaultPagedPoolCharge", CType.ULONG)
                .field("DefaultNonPagedPoolCharge", CType.ULONG)
                .field("DumpProcedure", CType.pointer("OB_DUMP_METHOD"))
                .field("OpenProcedure", CType.pointer("OB_OPEN_METHOD"))
                .field("CloseProcedure", CType.pointer("OB_CLOSE_METHOD"))
                .field("DeleteProcedure", CType.pointer("OB_DELETE_METHOD"))
                .union(null, u -> u.field("ParseProcedure", CType.pointer("OB_PARSE_METHOD"))
                        .field("ParseProcedureEx", CType.pointer("OB_PARSE_METHOD_EX")))
                .field("SecurityProcedure", CType.pointer("OB_SECURITY_METHOD"))
                .field("QueryNameProcedure", CType.pointer("OB_QUERYNAME_METHOD"))
                .field("OkayToCloseProcedure", CType.pointer("OB_OKAYTOCLOSE_METHOD"))
                .field("WaitObjectFlagMask", CType.ULONG)
                .field("WaitObjectFlagOffset", CType.USHORT)
                .field("WaitObjectPointerOffset", CType.USHORT)
                .build();
    }
}
