package dev.offkern.layout.io;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The public head of a device object's extension (DEVICE_OBJECT.DeviceObjectExtension); the rest of
 * Windows' DEVOBJ_EXTENSION is private to the I/O manager, and offkern allocates only this head.
 * <pre>{@code
 * typedef struct _DEVOBJ_EXTENSION {
 *   CSHORT Type;
 *   USHORT Size;
 *   PDEVICE_OBJECT DeviceObject;
 * } DEVOBJ_EXTENSION, *PDEVOBJ_EXTENSION;
 * }</pre>
 */
public final class DEVOBJ_EXTENSION {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** CSHORT: IO_TYPE_DEVICE_OBJECT_EXTENSION (13). */
    public static final long TYPE_OFFSET = X64.offset("Type");
    /** USHORT, bytes: sizeof(DEVOBJ_EXTENSION). */
    public static final long SIZE_OFFSET = X64.offset("Size");
    /** PDEVICE_OBJECT: the owning device object. */
    public static final long DEVICE_OBJECT_OFFSET = X64.offset("DeviceObject");

    private DEVOBJ_EXTENSION() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("DEVOBJ_EXTENSION", abi)
                .field("Type", CType.CSHORT)
                .field("Size", CType.USHORT)
                .field("DeviceObject", CType.pointer("PDEVICE_OBJECT"))
                .build();
    }
}
