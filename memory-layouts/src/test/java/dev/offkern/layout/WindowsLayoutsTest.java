package dev.offkern.layout;

import dev.offkern.layout.ex.FAST_MUTEX;
import dev.offkern.layout.ex.GENERAL_LOOKASIDE;
import dev.offkern.layout.ex.GENERAL_LOOKASIDE_POOL;
import dev.offkern.layout.ex.LOOKASIDE_LIST_EX;
import dev.offkern.layout.ex.NPAGED_LOOKASIDE_LIST;
import dev.offkern.layout.ex.PAGED_LOOKASIDE_LIST;
import dev.offkern.layout.ex.SLIST_ENTRY;
import dev.offkern.layout.ex.SLIST_HEADER;
import dev.offkern.layout.io.IO_STACK_LOCATION;
import dev.offkern.layout.ke.KDPC;
import dev.offkern.layout.ke.KFLOATING_SAVE;
import dev.offkern.layout.ke.KGUARDED_MUTEX;
import dev.offkern.layout.ke.KTIMER;
import dev.offkern.layout.ps.EPROCESS;
import dev.offkern.layout.rtl.RTL_RUN_ONCE;
import dev.offkern.layout.se.ACCESS_ALLOWED_OBJECT_ACE;
import dev.offkern.layout.se.SYSTEM_MANDATORY_LABEL_ACE;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * Checks offkern's layouts against Windows 10 22H2's own (Microsoft's public symbols, as the Vergilius
 * Project publishes them, tabulated in {@code windows-10-22h2-layouts.tsv}; see docs/layout-sources.md), independently of the mingw-w64
 * oracle: every tabulated size, member offset and bit range of every registered structure, and that
 * members Windows 10 22H2 does not have are absent. Also pins the Windows-only facts where offkern
 * follows Windows rather than mingw-w64.
 */
class WindowsLayoutsTest {

    /**
     * Rows of the table offkern deliberately does not follow, each with its reason (struct.field@abi).
     * None today. (KTIMER on x64: some descriptions give Windows 10 22H2 one ULONG Processor; the
     * 19041+ symbols, and so the table, have USHORT Processor + USHORT TimerType, which offkern
     * follows.)
     */
    private static final Map<String, String> EXCEPTIONS = Map.of();

    private record Row(String struct, String field, String x64, String x86) {
        String value(Abi abi) {
            return abi == Abi.X64 ? x64 : x86;
        }
    }

    private static List<Row> rows() throws IOException {
        List<Row> rows = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Objects.requireNonNull(
                WindowsLayoutsTest.class.getResourceAsStream("windows-10-22h2-layouts.tsv")), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] c = line.split("\t");
                rows.add(new Row(c[0], c[1], c[2], c[3]));
            }
        }
        return rows;
    }

    @Test
    void shouldMatchWindows10SymbolLayoutsForEveryTabulatedMember() throws IOException {
        List<String> failures = new ArrayList<>();
        int checked = 0;
        int excepted = 0;
        List<Row> rows = rows();
        java.util.Set<String> absentTypes = new java.util.HashSet<>();
        for (Row row : rows) {
            for (Abi abi : Abi.values()) {
                if (row.value(abi).equals("absent")) {
                    absentTypes.add(row.struct() + "@" + abi.id());
                }
            }
        }
        for (Row row : rows) {
            if (!Structures.names().contains(row.struct())) {
                continue; // an opaque or private type offkern does not lay out here (EPROCESS, KTIMER2, ...)
            }
            for (Abi abi : Abi.values()) {
                String v = row.value(abi);
                StructSpec spec = Structures.get(row.struct(), abi);
                String where = row.struct() + "." + row.field() + " (" + abi.id() + ")";
                if (EXCEPTIONS.containsKey(row.struct() + "." + row.field() + "@" + abi.id())) {
                    excepted++;
                    continue;
                }
                if (absentTypes.contains(row.struct() + "@" + abi.id())) {
                    continue; // not in the kernel PDB for that ABI (SLIST_ENTRY, KFLOATING_SAVE on x86): headers rule
                }
                checked++;
                if (row.field().equals("(size)")) {
                    if (spec.size() != Long.decode(v)) {
                        failures.add(where + ": Windows 0x" + v + ", offkern 0x" + Long.toHexString(spec.size()));
                    }
                    continue;
                }
                if (v.equals("-")) {
                    if (spec.hasField(row.field())) {
                        failures.add(where + ": Windows 10 22H2 has no such member, offkern has");
                    }
                    continue;
                }
                if (!spec.hasField(row.field())) {
                    failures.add(where + ": Windows has it at " + v + ", offkern has no such member");
                    continue;
                }
                Field f = spec.field(row.field());
                String[] parts = v.split(" ");
                long offset = Long.decode(parts[0]);
                if (parts.length == 1) {
                    if (f.offset() != offset || f.isBitField()) {
                        failures.add(where + ": Windows " + v + ", offkern 0x" + Long.toHexString(f.offset())
                                + (f.isBitField() ? " (a bit field)" : ""));
                    }
                    continue;
                }
                String[] range = parts[1].substring(1).split("-");
                long first = offset * 8 + Integer.parseInt(range[0]);
                int width = range.length == 1 ? 1 : Integer.parseInt(range[1]) - Integer.parseInt(range[0]) + 1;
                long actualFirst = f.offset() * 8 + f.bitOffset();
                if (!f.isBitField() || actualFirst != first || f.bitWidth() != width) {
                    failures.add(where + ": Windows " + v + ", offkern byte 0x" + Long.toHexString(f.offset())
                            + " bit " + f.bitOffset() + " width " + f.bitWidth());
                }
            }
        }
        System.out.println("windows-10-22h2-layouts.tsv: " + checked + " values checked, " + excepted + " named exceptions");
        assertTrue(checked > 300, "too few rows checked: " + checked);
        assertTrue(failures.isEmpty(), () -> failures.size() + " disagreement(s) with Windows 10 22H2's symbols:\n  "
                + String.join("\n  ", failures));
    }

    @Test
    void shouldSplitKtimerProcessorAsWindows10Version2004() {
        assertEquals(2, KTIMER.X64.field("Processor").size());
        assertEquals(0x3A, KTIMER.TIMER_TYPE_OFFSET);
        assertEquals(0x3C, KTIMER.PERIOD_OFFSET);
        assertEquals(4, KTIMER.legacyX64().field("Processor").size());
        assertFalse(KTIMER.legacyX64().hasField("TimerType"));
        assertEquals(0x40, KTIMER.legacyX64().size());
        assertFalse(KTIMER.X86.hasField("Processor"));
    }

    @Test
    void shouldSplitKdpcListEntryAsWindows81AndLater() {
        assertEquals(0x8, KDPC.X64.field("DpcListEntry").size());
        assertEquals(0x10, KDPC.X64.offset("ProcessorHistory"));
        assertEquals(0x8, KDPC.X86.offset("ProcessorHistory"));
        assertEquals(0x18, KDPC.X64.offset("DeferredRoutine"));
        assertEquals(0xC, KDPC.X86.offset("DeferredRoutine"));
        assertEquals(0x40, KDPC.X64.size());
        assertEquals(0x20, KDPC.X86.size());
        assertEquals(0, KDPC.X64.offset("TargetInfoAsUlong"));
    }

    @Test
    void shouldCacheAlignGeneralLookasideOnBothAbis() {
        for (Abi abi : Abi.values()) {
            assertEquals(0x80, GENERAL_LOOKASIDE.of(abi).size(), abi.id());
            assertEquals(64, GENERAL_LOOKASIDE.of(abi).align(), abi.id());
            assertEquals(64, NPAGED_LOOKASIDE_LIST.of(abi).align(), abi.id());
            assertEquals(64, PAGED_LOOKASIDE_LIST.of(abi).align(), abi.id());
        }
        assertEquals(0x48, GENERAL_LOOKASIDE.X86.offset("Future") + 8);
    }

    @Test
    void shouldKeepObsoleteLockAt0x80InX86LookasideLists() {
        assertEquals(0xC0, NPAGED_LOOKASIDE_LIST.X86.size());
        assertEquals(0xC0, PAGED_LOOKASIDE_LIST.X86.size());
        assertEquals(0x80, NPAGED_LOOKASIDE_LIST.X86.offset("Lock__ObsoleteButDoNotDelete"));
        assertEquals(0x80, PAGED_LOOKASIDE_LIST.X86.offset("Lock__ObsoleteButDoNotDelete"));
        assertEquals(0x20, PAGED_LOOKASIDE_LIST.X86.field("Lock__ObsoleteButDoNotDelete").size());
        assertEquals(0x80, NPAGED_LOOKASIDE_LIST.X64.size());
        assertFalse(NPAGED_LOOKASIDE_LIST.X64.hasField("Lock__ObsoleteButDoNotDelete"));
        assertEquals(0x60, LOOKASIDE_LIST_EX.X64.size());
        assertEquals(0x48, LOOKASIDE_LIST_EX.X86.size());
    }

    @Test
    void shouldAlignSlistStructuresTo16BytesOnX64() {
        assertEquals(16, SLIST_HEADER.X64.align());
        assertEquals(16, SLIST_ENTRY.X64.align());
        assertEquals(16, SLIST_ENTRY.X64.size());
        assertEquals(16, LOOKASIDE_LIST_EX.X64.align());
        assertEquals(16, GENERAL_LOOKASIDE_POOL.X64.align());
        assertEquals(8, SLIST_HEADER.X86.align());
        assertEquals(4, SLIST_ENTRY.X86.align());
    }

    @Test
    void shouldLayOutSlistHeaderBitsAsWindows() {
        Field next = SLIST_HEADER.X64.field("HeaderX64.NextEntry");
        assertEquals(8, next.offset());
        assertEquals(4, next.bitOffset());
        assertEquals(60, next.bitWidth());
        Field seq = SLIST_HEADER.X64.field("HeaderX64.Sequence");
        assertEquals(0, seq.offset());
        assertEquals(16, seq.bitOffset());
        assertEquals(48, seq.bitWidth());
        assertEquals(6, SLIST_HEADER.X86.offset("CpuId"));
        assertEquals(0xFFFF_FFFF_FFFF_FFF0L, next.mask());
        assertEquals(0xFFFF_FFFF_FFFF_FFF0L, SLIST_HEADER.HEADER_X64_NEXT_ENTRY_MASK);
        assertEquals(0xFFFFL, SLIST_HEADER.HEADER_X64_DEPTH_MASK);
        assertEquals(0xFFFF_FFFF_FFFF_0000L, SLIST_HEADER.HEADER_X64_SEQUENCE_MASK);
        assertEquals(16, SLIST_HEADER.HEADER_X64_SEQUENCE_SHIFT);
        assertEquals(3, RTL_RUN_ONCE.STATE_MASK);
    }

    @Test
    void shouldGiveKguardedMutexFastMutexLayout() {
        for (Abi abi : Abi.values()) {
            assertEquals(FAST_MUTEX.of(abi).fields(), KGUARDED_MUTEX.of(abi).fields());
            assertEquals(FAST_MUTEX.of(abi).size(), KGUARDED_MUTEX.of(abi).size());
        }
        assertEquals(0x38, KGUARDED_MUTEX.X64.size());
        assertEquals(0x20, KGUARDED_MUTEX.X86.size());
    }

    @Test
    void shouldPackX86IoStackLocationTo4Bytes() {
        assertEquals(0x48, IO_STACK_LOCATION.X64.size());
        assertEquals(0x24, IO_STACK_LOCATION.X86.size());
        assertEquals(4, IO_STACK_LOCATION.X86.align());
        assertEquals(0xC, IO_STACK_LOCATION.X86.offset("Parameters.Read.ByteOffset"));
        assertFalse(IO_STACK_LOCATION.X86.hasField("Parameters.Read.Flags"));
        assertEquals(0x18, IO_STACK_LOCATION.X64.offset("Parameters.Read.ByteOffset"));
        assertEquals(0x10, IO_STACK_LOCATION.X64.offset("Parameters.DeviceIoControl.InputBufferLength"));
    }

    @Test
    void shouldLayOutTheObjectAceWithBothGuidsBeforeTheSid() {
        for (Abi abi : Abi.values()) {
            StructSpec s = ACCESS_ALLOWED_OBJECT_ACE.of(abi);
            assertEquals(4, s.offset("Mask"));
            assertEquals(8, s.offset("Flags"));
            assertEquals(12, s.offset("ObjectType"));
            assertEquals(28, s.offset("InheritedObjectType"));
            assertEquals(44, s.offset("SidStart"));
            assertEquals(48, s.size());
            assertEquals(12, SYSTEM_MANDATORY_LABEL_ACE.of(abi).size());
        }
    }

    @Test
    void shouldRegisterEveryPublicStructureOfIssue2() {
        for (String s : List.of("EX_RUNDOWN_REF", "FAST_MUTEX", "IO_CSQ", "IO_CSQ_IRP_CONTEXT", "KBUGCHECK_CALLBACK_RECORD",
                "KBUGCHECK_REASON_CALLBACK_RECORD", "KDPC", "KFLOATING_SAVE", "KGUARDED_MUTEX", "KLOCK_QUEUE_HANDLE",
                "KTIMER", "LOOKASIDE_LIST_EX", "NPAGED_LOOKASIDE_LIST", "PAGED_LOOKASIDE_LIST", "RTL_BITMAP",
                "RTL_RUN_ONCE", "SECURITY_SUBJECT_CONTEXT", "SLIST_HEADER", "XSTATE_SAVE", "LIST_ENTRY",
                "SINGLE_LIST_ENTRY", "SLIST_ENTRY", "KSPIN_LOCK_QUEUE", "DISPATCHER_HEADER", "KEVENT", "KGATE",
                "KSEMAPHORE", "GENERAL_LOOKASIDE", "GENERAL_LOOKASIDE_POOL", "XSTATE_CONTEXT", "RTL_BITMAP_RUN", "IRP",
                "IO_STATUS_BLOCK", "IO_STACK_LOCATION", "WORK_QUEUE_ITEM", "KDEVICE_QUEUE_ENTRY",
                "KBUGCHECK_SECONDARY_DUMP_DATA", "KBUGCHECK_DUMP_IO", "LARGE_INTEGER", "LUID", "LUID_AND_ATTRIBUTES",
                "SID_IDENTIFIER_AUTHORITY", "SID", "SID_AND_ATTRIBUTES", "ACL", "ACE_HEADER", "ACCESS_ALLOWED_ACE",
                "ACCESS_DENIED_ACE", "SYSTEM_AUDIT_ACE", "SYSTEM_MANDATORY_LABEL_ACE", "ACCESS_ALLOWED_OBJECT_ACE",
                "ACCESS_ALLOWED_CALLBACK_ACE", "SECURITY_DESCRIPTOR", "SECURITY_DESCRIPTOR_RELATIVE", "GENERIC_MAPPING",
                "PRIVILEGE_SET", "ACCESS_STATE", "IO_CONNECT_INTERRUPT_PARAMETERS", "POOL_HEADER")) {
            assertTrue(Structures.names().contains(s), s + " is not registered");
            for (Abi abi : Abi.values()) {
                StructSpec spec = Structures.get(s, abi);
                assertEquals(s, spec.name());
                assertEquals(0, spec.size() % spec.align(), s + " size is not a multiple of its alignment");
            }
        }
    }

    @Test
    void shouldAlignIrpAndDeviceObjectToMemoryAllocationAlignmentOnX64AsWindowsDeclares() {
        assertEquals(16, Structures.get("IRP", Abi.X64).align());
        assertEquals(0xD0, Structures.get("IRP", Abi.X64).size());
        assertEquals(8, Structures.get("IRP", Abi.X86).align());
        assertEquals(16, Structures.get("DEVICE_OBJECT", Abi.X64).align());
        assertEquals(0x150, Structures.get("DEVICE_OBJECT", Abi.X64).size());
        assertEquals(0x140, Structures.get("DEVICE_OBJECT", Abi.X64).offset("Reserved"));
        assertEquals(0xB8, Structures.get("DEVICE_OBJECT", Abi.X86).size());
        assertEquals(0x150, Structures.get("DRIVER_OBJECT", Abi.X64).size());
        assertEquals(0xA8, Structures.get("DRIVER_OBJECT", Abi.X86).size());
        assertEquals(0xD8, Structures.get("FILE_OBJECT", Abi.X64).size());
        assertEquals(0x80, Structures.get("FILE_OBJECT", Abi.X86).size());
    }
}
