package dev.offkern.layout.ps;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.OpaqueParts;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * What a {@code PCREATE_PROCESS_NOTIFY_ROUTINE_EX} receives about a process being created (ntddk.h).
 * The routine may set {@code CreationStatus} to an error status to make the creation fail. The WDK
 * declares {@code IsSubsystemProcess} (Windows 10 1703+) where mingw-w64's header still has 31
 * reserved bits.
 * <pre>{@code
 * typedef struct _PS_CREATE_NOTIFY_INFO {            // x64   x86
 *   SIZE_T Size;                                     // 0x00  0x00
 *   union {
 *     ULONG Flags;                                   // 0x08  0x04
 *     struct {
 *       ULONG FileOpenNameAvailable : 1;
 *       ULONG IsSubsystemProcess : 1;
 *       ULONG Reserved : 30;
 *     };
 *   };
 *   HANDLE ParentProcessId;                          // 0x10  0x08
 *   CLIENT_ID CreatingThreadId;                      // 0x18  0x0c
 *   struct _FILE_OBJECT *FileObject;                 // 0x28  0x14
 *   PCUNICODE_STRING ImageFileName;                  // 0x30  0x18
 *   PCUNICODE_STRING CommandLine;                    // 0x38  0x1c
 *   NTSTATUS CreationStatus;                         // 0x40  0x20
 * } PS_CREATE_NOTIFY_INFO, *PPS_CREATE_NOTIFY_INFO;  // 0x48  0x24
 * }</pre>
 */
public final class PS_CREATE_NOTIFY_INFO {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** SIZE_T, bytes: sizeof(PS_CREATE_NOTIFY_INFO). */
    public static final long SIZE_OFFSET = X64.offset("Size");
    /** ULONG: FileOpenNameAvailable (bit 0), IsSubsystemProcess (bit 1). */
    public static final long FLAGS_OFFSET = X64.offset("Flags");
    /** HANDLE: the id of the process the new one inherits from. */
    public static final long PARENT_PROCESS_ID_OFFSET = X64.offset("ParentProcessId");
    /** CLIENT_ID: the process and thread ids of the thread creating the process. */
    public static final long CREATING_THREAD_ID_OFFSET = X64.offset("CreatingThreadId");
    /** HANDLE: {@code CreatingThreadId.UniqueProcess}. */
    public static final long CREATING_UNIQUE_PROCESS_OFFSET = CREATING_THREAD_ID_OFFSET + OpaqueParts.clientId(Abi.X64).offset("UniqueProcess");
    /** HANDLE: {@code CreatingThreadId.UniqueThread}. */
    public static final long CREATING_UNIQUE_THREAD_OFFSET = CREATING_THREAD_ID_OFFSET + OpaqueParts.clientId(Abi.X64).offset("UniqueThread");
    /** PFILE_OBJECT: the executable's file object, or NULL. */
    public static final long FILE_OBJECT_OFFSET = X64.offset("FileObject");
    /** PCUNICODE_STRING: the executable's name (FileOpenNameAvailable: the name it was opened by). */
    public static final long IMAGE_FILE_NAME_OFFSET = X64.offset("ImageFileName");
    /** PCUNICODE_STRING: the command line, or NULL. */
    public static final long COMMAND_LINE_OFFSET = X64.offset("CommandLine");
    /** NTSTATUS: STATUS_SUCCESS on entry; a routine stores an error status to veto the creation. */
    public static final long CREATION_STATUS_OFFSET = X64.offset("CreationStatus");
    /** Flags bit 0. */
    public static final int FILE_OPEN_NAME_AVAILABLE = 0x1;
    /** Flags bit 1. */
    public static final int IS_SUBSYSTEM_PROCESS = 0x2;

    private PS_CREATE_NOTIFY_INFO() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("PS_CREATE_NOTIFY_INFO", abi)
                .field("Size", CType.SIZE_T)
                .union(null, u -> u
                        .field("Flags", CType.ULONG)
                        .struct(null, b -> b.bits(CType.ULONG, "FileOpenNameAvailable", 1, "IsSubsystemProcess", 1, "Reserved", 30)))
                .field("ParentProcessId", CType.HANDLE)
                .field("CreatingThreadId", OpaqueParts.clientId(abi))
                .field("FileObject", CType.pointer("PFILE_OBJECT"))
                .field("ImageFileName", CType.pointer("PCUNICODE_STRING"))
                .field("CommandLine", CType.pointer("PCUNICODE_STRING"))
                .field("CreationStatus", CType.NTSTATUS)
                .build();
    }
}
