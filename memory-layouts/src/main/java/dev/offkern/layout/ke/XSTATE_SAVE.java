package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The caller-owned save block of KeSaveExtendedProcessorState. On x64 a chain link, the thread,
 * the level and an XSTATE_CONTEXT at 0x18 (0x38 bytes); on x86 a 0x20-byte union of the
 * XSTATE_CONTEXT with a struct that places Prev, Thread and Level in its reserved words.
 * <pre>{@code
 * #if defined(_AMD64_)
 * typedef struct _XSTATE_SAVE {
 *   struct _XSTATE_SAVE* Prev;
 *   struct _KTHREAD* Thread;
 *   UCHAR Level;
 *   XSTATE_CONTEXT XStateContext;
 * } XSTATE_SAVE, *PXSTATE_SAVE;
 * #else
 * typedef struct _XSTATE_SAVE {
 *   union {
 *     struct {
 *       LONG64 Reserved1;
 *       ULONG Reserved2;
 *       struct _XSTATE_SAVE* Prev;
 *       PXSAVE_AREA Reserved3;
 *       struct _KTHREAD* Thread;
 *       PVOID Reserved4;
 *       UCHAR Level;
 *     };
 *     XSTATE_CONTEXT XStateContext;
 *   };
 * } XSTATE_SAVE, *PXSTATE_SAVE;
 * #endif
 * }</pre>
 */
public final class XSTATE_SAVE {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** PXSTATE_SAVE: the thread's previous save block (nesting). */
    public static final long PREV_OFFSET = X64.offset("Prev");
    /** PKTHREAD: the thread that saved. */
    public static final long THREAD_OFFSET = X64.offset("Thread");
    /** UCHAR: the nesting level. */
    public static final long LEVEL_OFFSET = X64.offset("Level");
    /** XSTATE_CONTEXT: mask and XSAVE area. */
    public static final long X_STATE_CONTEXT_OFFSET = X64.offset("XStateContext");

    private XSTATE_SAVE() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        if (abi == Abi.X64) {
            return CStruct.struct("XSTATE_SAVE", abi)
                    .field("Prev", CType.pointer("PXSTATE_SAVE"))
                    .field("Thread", CType.pointer("PKTHREAD"))
                    .field("Level", CType.UCHAR)
                    .field("XStateContext", XSTATE_CONTEXT.of(abi))
                    .build();
        }
        return CStruct.struct("XSTATE_SAVE", abi)
                .union(null, u -> u
                        .struct(null, s -> s.field("Reserved1", CType.LONG64)
                                .field("Reserved2", CType.ULONG)
                                .field("Prev", CType.pointer("PXSTATE_SAVE"))
                                .field("Reserved3", CType.pointer("PXSAVE_AREA"))
                                .field("Thread", CType.pointer("PKTHREAD"))
                                .field("Reserved4", CType.PVOID)
                                .field("Level", CType.UCHAR))
                        .field("XStateContext", XSTATE_CONTEXT.of(abi)))
                .build();
    }
}
