package dev.offkern.layout.mingw;

import static dev.offkern.layout.mingw.KnownDifference.BOTH;
import static dev.offkern.layout.mingw.KnownDifference.X64;
import static dev.offkern.layout.mingw.KnownDifference.X86;
import static dev.offkern.layout.mingw.KnownDifference.absent;
import static dev.offkern.layout.mingw.KnownDifference.bits;
import static dev.offkern.layout.mingw.KnownDifference.mingwOnly;
import static dev.offkern.layout.mingw.KnownDifference.renamed;
import static dev.offkern.layout.mingw.KnownDifference.undeclared;
import static dev.offkern.layout.mingw.KnownDifference.value;

import dev.offkern.layout.mingw.KnownDifference.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * Every place where offkern follows Windows 10 22H2 (its symbols: docs/layout-sources.md) rather than
 * mingw-w64's headers, each with its reason. The oracle fails if one of them stops being true.
 */
public final class KnownDifferences {

    private KnownDifferences() {
    }

    private static final String DH = "mingw-w64 declares Windows 7's DISPATCHER_HEADER; Windows 10 22H2's symbols"
            + " give the per-object-type views Lock/LockNV, Type/Signalling/Size/Reserved1,"
            + " Timer, Timer2, Queue, Thread and Mutant";
    private static final String LOOKASIDE_X86 = "Windows declares GENERAL_LOOKASIDE DECLSPEC_CACHEALIGN (64) on x86 too:"
            + " its x86 PDBs give GENERAL_LOOKASIDE 0x80 and NPAGED/PAGED_LOOKASIDE_LIST 0xC0 with the obsolete lock at"
            + " 0x80; mingw-w64 aligns it on x64 only";

    /** Every known difference. */
    public static final List<KnownDifference> ALL = build();

    private static List<KnownDifference> build() {
        List<KnownDifference> all = new ArrayList<>();
        // POOL_HEADER is kernel-private (no public header declares it): it is an opaque layout, checked against
        // Windows 10 22H2's symbols (windows-10-22h2-layouts.tsv) by memory-layouts' WindowsLayoutsTest, not here.

        // DISPATCHER_HEADER: Windows 10 22H2 vs mingw-w64's Windows 7 declaration.
        for (String f : List.of("LockNV", "Reserved1", "TimerType", "Wake", "Timer2Type", "Timer2Flags", "Timer2Inserted",
                "Timer2Expiring", "Timer2CancelPending", "Timer2SetPending", "Timer2Running", "Timer2Disabled",
                "Timer2ReservedFlags", "Timer2ComponentId", "Timer2RelativeId", "QueueType", "QueueControlFlags",
                "DisableIncrement", "QueueReservedControlFlags", "QueueSize", "QueueReserved", "ThreadType",
                "ThreadReserved", "GroupScheduling", "AffinitySet", "Tagged", "EnergyProfiling", "SchedulerAssist",
                "MutantType", "MutantSize", "MutantReserved")) {
            all.add(absent("DISPATCHER_HEADER", BOTH, f, DH));
        }
        for (String f : List.of("ThreadReservedControlFlags", "Minimal", "Reserved4", "AltSyscall")) {
            all.add(absent("DISPATCHER_HEADER", X64, f, DH));
        }
        String dh7 = "Windows 7 flags (in mingw-w64's declaration) that Windows 10 22H2's symbols no longer have";
        for (String f : List.of("Coalescable", "KeepShifting", "CpuThrottled", "Reserved", "Reserved2")) {
            all.add(mingwOnly("DISPATCHER_HEADER", BOTH, f, dh7));
        }
        for (String f : List.of("ActiveDR7", "UmsScheduled", "UmsPrimary")) {
            all.add(mingwOnly("DISPATCHER_HEADER", X86, f, dh7 + " on x86 (its DebugActive byte has no bit fields)"));
        }
        all.add(bits("DISPATCHER_HEADER", BOTH, "EncodedTolerableDelay", 11, 5,
                "Windows 8+ dropped Coalescable/KeepShifting: EncodedTolerableDelay is bits 2..7 of byte 1, not 3..7"));
        all.add(bits("DISPATCHER_HEADER", BOTH, "Abandoned", 8, 8,
                "Windows 10 has the 1-bit Abandoned flag of QueueControlFlags; mingw-w64 a whole UCHAR Abandoned"));
        all.add(bits("DISPATCHER_HEADER", BOTH, "CycleProfiling", 17, 1,
                "Windows 8+ dropped CpuThrottled (bit 0 of ThreadControlFlags), so CycleProfiling is bit 0"));
        all.add(bits("DISPATCHER_HEADER", BOTH, "CounterProfiling", 18, 1,
                "Windows 8+ dropped CpuThrottled, so CounterProfiling is bit 1 of ThreadControlFlags"));
        all.add(bits("DISPATCHER_HEADER", X86, "Instrumented", 25, 1,
                "Windows 10 x86 keeps Instrumented in ThreadControlFlags (byte 2 bit 7); Windows 7 had it in DebugActive"));
        all.add(value("DISPATCHER_HEADER", BOTH, "DpcActive", Kind.OFFSET, 3,
                "Windows 10's mutant view puts DpcActive in byte 2 (MutantType, MutantSize, DpcActive, MutantReserved)"));

        // KDPC: Windows 8.1+ split the LIST_ENTRY.
        String dpc = "since Windows 8.1 KDPC has SINGLE_LIST_ENTRY DpcListEntry + KAFFINITY ProcessorHistory where"
                + " Windows 7 (and mingw-w64) had a LIST_ENTRY; and the union TargetInfoAsUlong over Type/Importance/Number";
        all.add(absent("KDPC", BOTH, "TargetInfoAsUlong", dpc));
        all.add(absent("KDPC", BOTH, "ProcessorHistory", dpc));
        all.add(value("KDPC", X64, "DpcListEntry", Kind.FIELD_SIZE, 0x10, dpc));
        all.add(value("KDPC", X86, "DpcListEntry", Kind.FIELD_SIZE, 0x8, dpc));

        // KGUARDED_MUTEX: FAST_MUTEX's layout since Windows 8.
        String gm = "since Windows 8 the WDK declares KGUARDED_MUTEX as FAST_MUTEX (the kernel PDBs have no separate"
                + " type); mingw-w64 keeps Windows 7's KGATE Gate + ApcDisable union at the same offsets";
        all.add(renamed("KGUARDED_MUTEX", BOTH, "Event", "Gate", gm));
        all.add(renamed("KGUARDED_MUTEX", BOTH, "OldIrql", "CombinedApcDisable", gm));
        all.add(mingwOnly("KGUARDED_MUTEX", BOTH, "KernelApcDisable", gm));
        all.add(mingwOnly("KGUARDED_MUTEX", BOTH, "SpecialApcDisable", gm));

        // RTL_RUN_ONCE: the WDK's union has Value and State:2; mingw-w64 only Ptr.
        String ro = "the WDK (and Windows 10's symbols) declare RTL_RUN_ONCE as union { PVOID Ptr; ULONG_PTR Value;"
                + " ULONG_PTR State:2; }; mingw-w64 declares only Ptr";
        all.add(absent("RTL_RUN_ONCE", BOTH, "Value", ro));
        all.add(absent("RTL_RUN_ONCE", BOTH, "State", ro));

        // SLIST_HEADER.
        all.add(renamed("SLIST_HEADER", X86, "CpuId", "Sequence",
                "Windows 8+ names the x86 header's third word CpuId (Windows 7 and mingw-w64: Sequence)"));
        all.add(bits("SLIST_HEADER", X64, "HeaderX64.Reserved", 65, 3,
                "Windows 10's HeaderX64 is Depth:16 Sequence:48 | Reserved:4 NextEntry:60; mingw-w64 carves HeaderType:1"
                        + " out of Reserved"));
        all.add(mingwOnly("SLIST_HEADER", X64, "HeaderX64.HeaderType", "Windows 10's HeaderX64 has no HeaderType bit"
                + " (Reserved:4 covers bits 0..3 of Region)"));
        String slist7 = "Windows 7's 8-byte/16-byte header forms; Windows 8+ x64 has only HeaderX64";
        for (String f : List.of("Header8", "Header8.Depth", "Header8.Sequence", "Header8.NextEntry", "Header8.HeaderType",
                "Header8.Init", "Header8.Reserved", "Header8.Region", "Header16", "Header16.Depth", "Header16.Sequence",
                "Header16.HeaderType", "Header16.Init", "Header16.Reserved", "Header16.NextEntry")) {
            all.add(mingwOnly("SLIST_HEADER", X64, f, slist7));
        }

        // Lookaside lists on x86.
        all.add(value("GENERAL_LOOKASIDE", X86, null, Kind.SIZE, 0x48, LOOKASIDE_X86));
        all.add(value("GENERAL_LOOKASIDE", X86, null, Kind.ALIGN, 8, LOOKASIDE_X86));
        for (String s : List.of("NPAGED_LOOKASIDE_LIST", "PAGED_LOOKASIDE_LIST")) {
            all.add(value(s, X86, null, Kind.SIZE, s.startsWith("N") ? 0x50 : 0x68, LOOKASIDE_X86));
            all.add(value(s, X86, null, Kind.ALIGN, 8, LOOKASIDE_X86));
            all.add(value(s, X86, "L", Kind.FIELD_SIZE, 0x48, LOOKASIDE_X86));
            all.add(value(s, X86, "Lock__ObsoleteButDoNotDelete", Kind.OFFSET, 0x48, LOOKASIDE_X86));
        }

        // KTIMER on x64: Windows 10 2004+ (19041..19045) and Windows 11.
        String kt = "since Windows 10 2004 the x64 KTIMER has USHORT Processor + USHORT TimerType where the older"
                + " kernels (and mingw-w64) have ULONG Processor (Windows 10 19041 symbols)";
        all.add(absent("KTIMER", X64, "TimerType", kt));
        all.add(value("KTIMER", X64, "Processor", Kind.FIELD_SIZE, 4, kt));

        // KWAIT_BLOCK: Windows 8 reordered it (the WDK's NTDDI_WIN8 branch; Windows 10's symbols).
        String wb = "since Windows 8 KWAIT_BLOCK is WaitListEntry, WaitType, BlockState, WaitKey, (x64) SpareLong,"
                + " union { Thread; NotificationQueue; }, Object, SparePtr (the WDK's NTDDI_WIN8 branch, Windows 10's"
                + " symbols); mingw-w64 declares Windows 7's Thread, Object, NextWaitBlock, WaitKey, WaitType, BlockState";
        all.add(absent("KWAIT_BLOCK", BOTH, "NotificationQueue", wb));
        all.add(absent("KWAIT_BLOCK", BOTH, "SparePtr", wb));
        all.add(mingwOnly("KWAIT_BLOCK", BOTH, "NextWaitBlock", wb));
        all.add(value("KWAIT_BLOCK", X64, "WaitType", Kind.OFFSET, 0x2A, wb));
        all.add(value("KWAIT_BLOCK", X64, "BlockState", Kind.OFFSET, 0x2B, wb));
        all.add(value("KWAIT_BLOCK", X64, "WaitKey", Kind.OFFSET, 0x28, wb));
        all.add(value("KWAIT_BLOCK", X64, "SpareLong", Kind.OFFSET, 0x2C, wb));
        all.add(value("KWAIT_BLOCK", X64, "Thread", Kind.OFFSET, 0x10, wb));
        all.add(value("KWAIT_BLOCK", X64, "Object", Kind.OFFSET, 0x18, wb));
        all.add(value("KWAIT_BLOCK", X86, "WaitType", Kind.OFFSET, 0x16, wb));
        all.add(value("KWAIT_BLOCK", X86, "BlockState", Kind.OFFSET, 0x17, wb));
        all.add(value("KWAIT_BLOCK", X86, "WaitKey", Kind.OFFSET, 0x14, wb));
        all.add(value("KWAIT_BLOCK", X86, "Thread", Kind.OFFSET, 0x8, wb));
        all.add(value("KWAIT_BLOCK", X86, "Object", Kind.OFFSET, 0xC, wb));

        // KAPC_STATE: Windows 10 1809+ made the in-progress and user-pending BOOLEANs bit fields of two flag bytes.
        String apcState = "Windows 10 22H2's symbols overlay InProgressFlags (KernelApcInProgress, SpecialApcInProgress bits) and"
                + " UserApcPendingAll (SpecialUserApcPending, UserApcPending bits) on the Windows 7 BOOLEANs mingw-w64 declares";
        for (String f : List.of("InProgressFlags", "SpecialApcInProgress", "UserApcPendingAll", "SpecialUserApcPending")) {
            all.add(absent("KAPC_STATE", BOTH, f, apcState));
        }
        all.add(bits("KAPC_STATE", X64, "KernelApcInProgress", 0x28 * 8, 8, apcState));
        all.add(bits("KAPC_STATE", X86, "KernelApcInProgress", 0x14 * 8, 8, apcState));
        all.add(bits("KAPC_STATE", X64, "UserApcPending", 0x2a * 8, 8, apcState));
        all.add(bits("KAPC_STATE", X86, "UserApcPending", 0x16 * 8, 8, apcState));

        // PS_CREATE_NOTIFY_INFO: the WDK has IsSubsystemProcess (Windows 10 1703+); mingw-w64 31 reserved bits.
        String notify = "the WDK declares ULONG IsSubsystemProcess : 1 after FileOpenNameAvailable (Windows 10 1703+);"
                + " mingw-w64 still has Reserved : 31";
        all.add(absent("PS_CREATE_NOTIFY_INFO", BOTH, "IsSubsystemProcess", notify));
        all.add(bits("PS_CREATE_NOTIFY_INFO", X64, "Reserved", 8 * 8 + 1, 31, notify));
        all.add(bits("PS_CREATE_NOTIFY_INFO", X86, "Reserved", 4 * 8 + 1, 31, notify));

        // KAPC: Windows 10's symbols overlay the routine pointers with Reserved[3].
        all.add(absent("KAPC", BOTH, "Reserved", "Windows 10's KAPC overlays KernelRoutine/RundownRoutine/NormalRoutine"
                + " with PVOID Reserved[3] (its symbols); mingw-w64 declares only the routine pointers"));

        // IRP on x86.
        String irp = "Windows 10 x86's IRP keeps PVOID IrpExtension after OriginalFileObject (0x68; its symbols)";
        all.add(absent("IRP", X86, "Tail.Overlay.IrpExtension", irp));
        all.add(value("IRP", X86, "Tail.Overlay", Kind.FIELD_SIZE, 0x28, irp));
        String align16 = "Microsoft's wdm.h declares it DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT), 16 on x64;"
                + " mingw-w64's wdm.h omits the attribute (spec/windows-layouts.md)";
        all.add(value("IRP", X64, null, Kind.ALIGN, 8, align16));
        all.add(value("DEVICE_OBJECT", X64, null, Kind.ALIGN, 8, align16));
        all.add(value("DEVICE_OBJECT", X64, null, Kind.SIZE, 0x148, align16 + ": the size rounds up to 0x150"
                + " (only the tail padding differs; Reserved stays at 0x140)"));
        // The object and callback ACEs are declared by the user-mode SDK's winnt.h only (mingw-w64's ddk ntifs.h, like
        // the WDK's, has the plain mask ACEs); the tests module's WinntAceOracleTest compiles them against mingw-w64's winnt.h.
        String winnt = "declared by winnt.h (the user-mode SDK), not by the ddk headers; checked against mingw-w64's"
                + " winnt.h by WinntAceOracleTest";
        all.add(undeclared("ACCESS_ALLOWED_OBJECT_ACE", BOTH, winnt));
        all.add(undeclared("ACCESS_ALLOWED_CALLBACK_ACE", BOTH, winnt));
        return List.copyOf(all);
    }
}
