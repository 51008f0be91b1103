package dev.offkern.layout.ps;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.OpaqueParts;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.ex.EX_RUNDOWN_REF;
import dev.offkern.layout.ke.DISPATCHER_HEADER;
import dev.offkern.layout.rtl.LARGE_INTEGER;
import dev.offkern.layout.rtl.LIST_ENTRY;

import java.lang.foreign.StructLayout;

/**
 * The executive process object (opaque): offkern's layout with Windows 10 22H2's size (0xa40 on
 * x64, 0x500 on x86) and every modelled field at the offset Microsoft's symbols give for that
 * build, so that a tool or guest reading {@code UniqueProcessId} at 0x440 or {@code Token} at
 * 0x4b8 finds it where Windows keeps it. Bytes offkern does not model are reserved padding and
 * stay zero.
 *
 * <pre>{@code
 * typedef struct _EPROCESS {                         // x64     x86
 *   KPROCESS            Pcb;                         // 0x000   0x000  (0x438 / 0xe0 bytes; only Header modelled)
 *   EX_PUSH_LOCK        ProcessLock;                 // 0x438   0x0e0
 *   HANDLE              UniqueProcessId;             // 0x440   0x0e4
 *   LIST_ENTRY          ActiveProcessLinks;          // 0x448   0x0e8
 *   EX_RUNDOWN_REF      RundownProtect;              // 0x458   0x0f0
 *   LARGE_INTEGER       CreateTime;                  // 0x468   0x100
 *   EX_FAST_REF         Token;                       // 0x4b8   0x12c
 *   HANDLE              InheritedFromUniqueProcessId;// 0x540   0x170
 *   PPEB                Peb;                         // 0x550   0x17c
 *   PHANDLE_TABLE       ObjectTable;                 // 0x570   0x18c
 *   UCHAR               ImageFileName[15];           // 0x5a8   0x1ac
 *   LIST_ENTRY          ThreadListHead;              // 0x5e0   0x1d0
 * } EPROCESS;                                        // 0xa40   0x500, 8-aligned
 * }</pre>
 *
 * <p>{@code Pcb} is the kernel part ({@code KPROCESS}); only its {@code DISPATCHER_HEADER} is
 * modelled, so a process is a dispatcher object that waits can use (signalled when it exits).
 * Windows 11 keeps the same offsets for every field above (size 0xb80); 24H2 moved them.
 * The {@code *_OFFSET} constants are the x64 offsets; use {@link #of(Abi)} for x86.
 */
public final class EPROCESS {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** KPROCESS (0x438 bytes): the kernel process; its dispatcher header is at 0. */
    public static final long PCB_OFFSET = X64.offset("Pcb");
    /** DISPATCHER_HEADER: Type = ProcessObject (3); signalled when the process has exited. */
    public static final long PCB_HEADER_OFFSET = X64.offset("Pcb.Header");
    /** EX_PUSH_LOCK: guards the process's mutable fields. */
    public static final long PROCESS_LOCK_OFFSET = X64.offset("ProcessLock");
    /** HANDLE: the process id (a multiple of 4; the System process is 4). */
    public static final long UNIQUE_PROCESS_ID_OFFSET = X64.offset("UniqueProcessId");
    /** LIST_ENTRY: link in the kernel's list of active processes. */
    public static final long ACTIVE_PROCESS_LINKS_OFFSET = X64.offset("ActiveProcessLinks");
    /** EX_RUNDOWN_REF: run-down protection taken while the process is used across calls. */
    public static final long RUNDOWN_PROTECT_OFFSET = X64.offset("RundownProtect");
    /** LARGE_INTEGER, 100 ns since 1601: KeQuerySystemTime at creation. */
    public static final long CREATE_TIME_OFFSET = X64.offset("CreateTime");
    /** EX_FAST_REF: the primary token, low 4 (x86: 3) bits a cached reference count. */
    public static final long TOKEN_OFFSET = X64.offset("Token");
    /** HANDLE: the id of the process that created this one. */
    public static final long INHERITED_FROM_UNIQUE_PROCESS_ID_OFFSET = X64.offset("InheritedFromUniqueProcessId");
    /** PPEB: the user-mode process environment block; NULL for the System process. */
    public static final long PEB_OFFSET = X64.offset("Peb");
    /** PHANDLE_TABLE: the process's handle table. */
    public static final long OBJECT_TABLE_OFFSET = X64.offset("ObjectTable");
    /** UCHAR[15]: the image name, NUL-padded, truncated to 14 characters. */
    public static final long IMAGE_FILE_NAME_OFFSET = X64.offset("ImageFileName");
    /** LIST_ENTRY: head of the process's threads (ETHREAD.ThreadListEntry). */
    public static final long THREAD_LIST_HEAD_OFFSET = X64.offset("ThreadListHead");

    /** Length of {@code ImageFileName} in bytes. */
    public static final int IMAGE_FILE_NAME_LENGTH = 15;

    private EPROCESS() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        boolean x64 = abi == Abi.X64;
        return CStruct.opaque("EPROCESS", abi)
                .struct("Pcb", pcb -> pcb.field("Header", DISPATCHER_HEADER.of(abi)).alignAs(8)
                        .sizeTo(x64 ? 0x438 : 0xe0))
                .at(x64 ? 0x438 : 0xe0).field("ProcessLock", OpaqueParts.exPushLock(abi))
                .at(x64 ? 0x440 : 0xe4).field("UniqueProcessId", CType.HANDLE)
                .at(x64 ? 0x448 : 0xe8).field("ActiveProcessLinks", LIST_ENTRY.of(abi))
                .at(x64 ? 0x458 : 0xf0).field("RundownProtect", EX_RUNDOWN_REF.of(abi))
                .at(x64 ? 0x468 : 0x100).field("CreateTime", LARGE_INTEGER.of(abi))
                .at(x64 ? 0x4b8 : 0x12c).field("Token", OpaqueParts.exFastRef(abi))
                .at(x64 ? 0x540 : 0x170).field("InheritedFromUniqueProcessId", CType.HANDLE)
                .at(x64 ? 0x550 : 0x17c).field("Peb", CType.pointer("PPEB"))
                .at(x64 ? 0x570 : 0x18c).field("ObjectTable", CType.pointer("PHANDLE_TABLE"))
                .at(x64 ? 0x5a8 : 0x1ac).array("ImageFileName", CType.UCHAR, IMAGE_FILE_NAME_LENGTH)
                .at(x64 ? 0x5e0 : 0x1d0).field("ThreadListHead", LIST_ENTRY.of(abi))
                .alignAs(8)
                .sizeTo(x64 ? 0xa40 : 0x500)
                .build();
    }
}
