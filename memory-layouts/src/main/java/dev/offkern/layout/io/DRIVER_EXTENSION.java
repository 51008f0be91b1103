package dev.offkern.layout.io;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.UNICODE_STRING;

import java.lang.foreign.StructLayout;

/**
 * A driver object's extension (DRIVER_OBJECT.DriverExtension): AddDevice and the service key name.
 * <pre>{@code
 * typedef struct _DRIVER_EXTENSION {
 *   struct _DRIVER_OBJECT *DriverObject;
 *   PDRIVER_ADD_DEVICE AddDevice;
 *   ULONG Count;
 *   UNICODE_STRING ServiceKeyName;
 * } DRIVER_EXTENSION, *PDRIVER_EXTENSION;
 * }</pre>
 */
public final class DRIVER_EXTENSION {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** PDRIVER_OBJECT: back pointer to the driver object. */
    public static final long DRIVER_OBJECT_OFFSET = X64.offset("DriverObject");
    /** PDRIVER_ADD_DEVICE: the PnP AddDevice routine, or NULL. */
    public static final long ADD_DEVICE_OFFSET = X64.offset("AddDevice");
    /** ULONG: how many times the driver's reinitialization routines ran. */
    public static final long COUNT_OFFSET = X64.offset("Count");
    /** UNICODE_STRING: the driver's service key name. */
    public static final long SERVICE_KEY_NAME_OFFSET = X64.offset("ServiceKeyName");

    private DRIVER_EXTENSION() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("DRIVER_EXTENSION", abi)
                .field("DriverObject", CType.pointer("PDRIVER_OBJECT"))
                .field("AddDevice", CType.pointer("PDRIVER_ADD_DEVICE"))
                .field("Count", CType.ULONG)
                .field("ServiceKeyName", UNICODE_STRING.of(abi))
                .build();
    }
}
