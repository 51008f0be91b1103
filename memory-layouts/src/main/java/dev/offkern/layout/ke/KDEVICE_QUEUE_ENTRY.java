package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.LIST_ENTRY;

import java.lang.foreign.StructLayout;

/**
 * An entry of a device queue (embedded in IRP.Tail.Overlay).
 * <pre>{@code
 * typedef struct _KDEVICE_QUEUE_ENTRY {
 *   LIST_ENTRY DeviceListEntry;
 *   ULONG SortKey;
 *   BOOLEAN Inserted;
 * } KDEVICE_QUEUE_ENTRY, *PKDEVICE_QUEUE_ENTRY;
 * }</pre>
 */
public final class KDEVICE_QUEUE_ENTRY {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** LIST_ENTRY: link in the device queue. */
    public static final long DEVICE_LIST_ENTRY_OFFSET = X64.offset("DeviceListEntry");
    /** ULONG: the key KeInsertByKeyDeviceQueue sorts by. */
    public static final long SORT_KEY_OFFSET = X64.offset("SortKey");
    /** BOOLEAN: whether the entry is queued. */
    public static final long INSERTED_OFFSET = X64.offset("Inserted");

    private KDEVICE_QUEUE_ENTRY() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("KDEVICE_QUEUE_ENTRY", abi)
                .field("DeviceListEntry", LIST_ENTRY.of(abi))
                .field("SortKey", CType.ULONG)
                .field("Inserted", CType.BOOLEAN)
                .build();
    }
}
