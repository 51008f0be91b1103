package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * A write of the crash dump as seen by a KbCallbackDumpIo callback.
 * <pre>{@code
 * typedef struct _KBUGCHECK_DUMP_IO {
 *   ULONG64 Offset;
 *   PVOID Buffer;
 *   ULONG BufferLength;
 *   KBUGCHECK_DUMP_IO_TYPE Type;
 * } KBUGCHECK_DUMP_IO, *PKBUGCHECK_DUMP_IO;
 * }</pre>
 */
public final class KBUGCHECK_DUMP_IO {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG64, bytes: where in the dump file, or -1 for sequential. */
    public static final long OFFSET_OFFSET = X64.offset("Offset");
    /** PVOID: the data. */
    public static final long BUFFER_OFFSET = X64.offset("Buffer");
    /** ULONG, bytes: its length. */
    public static final long BUFFER_LENGTH_OFFSET = X64.offset("BufferLength");
    /** KBUGCHECK_DUMP_IO_TYPE (enum): header, body, secondary data, complete. */
    public static final long TYPE_OFFSET = X64.offset("Type");

    private KBUGCHECK_DUMP_IO() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("KBUGCHECK_DUMP_IO", abi)
                .field("Offset", CType.ULONG64)
                .field("Buffer", CType.PVOID)
                .field("BufferLength", CType.ULONG)
                .field("Type", CType.ENUM)
                .build();
    }
}
