package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.LIST_ENTRY;

import java.lang.foreign.StructLayout;

/**
 * A device queue (embedded in DEVICE_OBJECT.DeviceQueue): the StartIo queue of a device.
 * <pre>{@code
 * typedef struct _KDEVICE_QUEUE {
 *   CSHORT Type;
 *   CSHORT Size;
 *   LIST_ENTRY DeviceListHead;
 *   KSPIN_LOCK Lock;
 * #if defined(_AMD64_)
 *   union {
 *     BOOLEAN Busy;
 *     struct { LONG64 Reserved:8; LONG64 Hint:56; };
 *   };
 * #else
 *   BOOLEAN Busy;
 * #endif
 * } KDEVICE_QUEUE, *PKDEVICE_QUEUE;
 * }</pre>
 */
public final class KDEVICE_QUEUE {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** CSHORT: DeviceQueueObject (0x14). */
    public static final long TYPE_OFFSET = X64.offset("Type");
    /** CSHORT, bytes: sizeof(KDEVICE_QUEUE). */
    public static final long SIZE_OFFSET = X64.offset("Size");
    /** LIST_ENTRY: head of the queued KDEVICE_QUEUE_ENTRYs. */
    public static final long DEVICE_LIST_HEAD_OFFSET = X64.offset("DeviceListHead");
    /** KSPIN_LOCK: guards the queue. */
    public static final long LOCK_OFFSET = X64.offset("Lock");
    /** BOOLEAN: the device is busy (an entry is being processed). */
    public static final long BUSY_OFFSET = X64.offset("Busy");
    /** KOBJECTS DeviceQueueObject. */
    public static final int DeviceQueueObject = 0x14;

    private KDEVICE_QUEUE() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        CStruct.Builder b = CStruct.struct("KDEVICE_QUEUE", abi)
                .field("Type", CType.CSHORT)
                .field("Size", CType.CSHORT)
                .field("DeviceListHead", LIST_ENTRY.of(abi))
                .field("Lock", CType.KSPIN_LOCK);
        if (abi == Abi.X64) {
            b.union(null, u -> u.field("Busy", CType.BOOLEAN)
                    .struct(null, s -> s.bits(CType.LONG64, "Reserved", 8, "Hint", 56)));
        } else {
            b.field("Busy", CType.BOOLEAN);
        }
        return b.build();
    }
}
