package dev.offkern.layout.ob;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * What a routine that creates or opens an object is told about it: its name, where the name is
 * relative to, the OBJ_* attributes and its security.
 * <pre>{@code
 * typedef struct _OBJECT_ATTRIBUTES {                // x64   x86
 *   ULONG Length;                                    // 0x00  0x00  (sizeof(OBJECT_ATTRIBUTES))
 *   HANDLE RootDirectory;                            // 0x08  0x04
 *   PUNICODE_STRING ObjectName;                      // 0x10  0x08
 *   ULONG Attributes;                                // 0x18  0x0c  (OBJ_*)
 *   PVOID SecurityDescriptor;                        // 0x20  0x10
 *   PVOID SecurityQualityOfService;                  // 0x28  0x14
 * } OBJECT_ATTRIBUTES;                               // 0x30  0x18
 * }</pre>
 */
public final class OBJECT_ATTRIBUTES {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG, bytes: sizeof(OBJECT_ATTRIBUTES) (InitializeObjectAttributes sets it). */
    public static final long LENGTH_OFFSET = X64.offset("Length");
    /** HANDLE: the directory ObjectName is relative to, or NULL for an absolute name. */
    public static final long ROOT_DIRECTORY_OFFSET = X64.offset("RootDirectory");
    /** PUNICODE_STRING: the object's name, or NULL for an unnamed object. */
    public static final long OBJECT_NAME_OFFSET = X64.offset("ObjectName");
    /** ULONG: OBJ_* attributes. */
    public static final long ATTRIBUTES_OFFSET = X64.offset("Attributes");
    /** PSECURITY_DESCRIPTOR: the new object's security, or NULL. */
    public static final long SECURITY_DESCRIPTOR_OFFSET = X64.offset("SecurityDescriptor");
    /** PSECURITY_QUALITY_OF_SERVICE: impersonation parameters, or NULL. */
    public static final long SECURITY_QUALITY_OF_SERVICE_OFFSET = X64.offset("SecurityQualityOfService");

    private OBJECT_ATTRIBUTES() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("OBJECT_ATTRIBUTES", abi)
                .field("Length", CType.ULONG)
                .field("RootDirectory", CType.HANDLE)
                .field("ObjectName", CType.pointer("PUNICODE_STRING"))
                .field("Attributes", CType.ULONG)
                .field("SecurityDescriptor", CType.PVOID)
                .field("SecurityQualityOfService", CType.PVOID)
                .build();
    }
}
