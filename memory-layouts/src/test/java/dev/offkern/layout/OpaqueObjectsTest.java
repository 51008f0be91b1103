package dev.offkern.layout;

import dev.offkern.layout.ex.EX_TIMER;
import dev.offkern.layout.io.IO_WORKITEM;
import dev.offkern.layout.ke.KINTERRUPT;
import dev.offkern.layout.ob.OBJECT_HEADER;
import dev.offkern.layout.ob.OBJECT_TYPE;
import dev.offkern.layout.ob.OBJECT_TYPE_INITIALIZER;
import dev.offkern.layout.ps.EPROCESS;
import dev.offkern.layout.ps.ETHREAD;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every modelled field of the opaque objects against Windows 10 22H2's public symbols (x64 and
 * x86, as the Vergilius Project publishes them; see docs/layout-sources.md), transcribed here by hand.
 */
class OpaqueObjectsTest {

    /** {structure, field, x64 offset, x86 offset}; "(size)" rows give sizeof. -1 = absent. */
    private static final Object[][] SPEC = {
            {"EPROCESS", "(size)", 0xa40, 0x500},
            {"EPROCESS", "Pcb", 0x0, 0x0},
            {"EPROCESS", "ProcessLock", 0x438, 0xe0},
            {"EPROCESS", "UniqueProcessId", 0x440, 0xe4},
            {"EPROCESS", "ActiveProcessLinks", 0x448, 0xe8},
            {"EPROCESS", "RundownProtect", 0x458, 0xf0},
            {"EPROCESS", "CreateTime", 0x468, 0x100},
            {"EPROCESS", "Token", 0x4b8, 0x12c},
            {"EPROCESS", "ObjectTable", 0x570, 0x18c},
            {"EPROCESS", "ImageFileName", 0x5a8, 0x1ac},
            {"EPROCESS", "Peb", 0x550, 0x17c},
            {"EPROCESS", "InheritedFromUniqueProcessId", 0x540, 0x170},
            {"EPROCESS", "ThreadListHead", 0x5e0, 0x1d0},

            {"ETHREAD", "(size)", 0x898, 0x4e0},
            {"ETHREAD", "Tcb", 0x0, 0x0},
            {"ETHREAD", "CreateTime", 0x430, 0x280},
            {"ETHREAD", "Cid", 0x478, 0x2ac},
            {"ETHREAD", "ThreadListEntry", 0x4e8, 0x2e4},
            {"ETHREAD", "RundownProtect", 0x4f8, 0x2ec},
            {"ETHREAD", "StartAddress", 0x450, 0x298},
            {"ETHREAD", "Win32StartAddress", 0x4d0, 0x2dc},
            // KTHREAD wait and lock fields (Windows 10 22H2, 19041 kernel line)
            {"ETHREAD", "Tcb.ApcState", 0x98, 0x70},
            {"ETHREAD", "Tcb.WaitStatus", 0xc8, 0x94},
            {"ETHREAD", "Tcb.WaitBlockList", 0xd0, 0x98},
            {"ETHREAD", "Tcb.WaitBlock", 0x140, 0xe0},
            {"ETHREAD", "Tcb.State", 0x184, 0x90},
            {"ETHREAD", "Tcb.WaitIrql", 0x186, 0x92},
            {"ETHREAD", "Tcb.WaitMode", 0x187, 0x93},
            {"ETHREAD", "Tcb.KernelApcDisable", 0x1e4, 0x13c},
            {"ETHREAD", "Tcb.SpecialApcDisable", 0x1e6, 0x13e},
            {"ETHREAD", "Tcb.CombinedApcDisable", 0x1e4, 0x13c},
            {"ETHREAD", "Tcb.NextProcessor", 0x218, 0x148},
            {"ETHREAD", "Tcb.Process", 0x220, 0x150},

            {"OBJECT_HEADER", "(size)", 0x38, 0x20},
            {"OBJECT_HEADER", "PointerCount", 0x0, 0x0},
            {"OBJECT_HEADER", "HandleCount", 0x8, 0x4},
            {"OBJECT_HEADER", "NextToFree", 0x8, 0x4},
            {"OBJECT_HEADER", "Lock", 0x10, 0x8},
            {"OBJECT_HEADER", "TypeIndex", 0x18, 0xc},
            {"OBJECT_HEADER", "TraceFlags", 0x19, 0xd},
            {"OBJECT_HEADER", "InfoMask", 0x1a, 0xe},
            {"OBJECT_HEADER", "Flags", 0x1b, 0xf},
            {"OBJECT_HEADER", "Reserved", 0x1c, -1},
            {"OBJECT_HEADER", "ObjectCreateInfo", 0x20, 0x10},
            {"OBJECT_HEADER", "QuotaBlockCharged", 0x20, 0x10},
            {"OBJECT_HEADER", "SecurityDescriptor", 0x28, 0x14},
            {"OBJECT_HEADER", "Body", 0x30, 0x18},

            {"OBJECT_TYPE", "(size)", 0xd8, 0x90},
            {"OBJECT_TYPE", "TypeList", 0x0, 0x0},
            {"OBJECT_TYPE", "Name", 0x10, 0x8},
            {"OBJECT_TYPE", "DefaultObject", 0x20, 0x10},
            {"OBJECT_TYPE", "Index", 0x28, 0x14},
            {"OBJECT_TYPE", "TotalNumberOfObjects", 0x2c, 0x18},
            {"OBJECT_TYPE", "TotalNumberOfHandles", 0x30, 0x1c},
            {"OBJECT_TYPE", "HighWaterNumberOfObjects", 0x34, 0x20},
            {"OBJECT_TYPE", "HighWaterNumberOfHandles", 0x38, 0x24},
            {"OBJECT_TYPE", "TypeInfo", 0x40, 0x28},
            {"OBJECT_TYPE", "TypeLock", 0xb8, 0x80},
            {"OBJECT_TYPE", "Key", 0xc0, 0x84},
            {"OBJECT_TYPE", "CallbackList", 0xc8, 0x88},

            {"OBJECT_TYPE_INITIALIZER", "(size)", 0x78, 0x58},
            {"OBJECT_TYPE_INITIALIZER", "Length", 0x0, 0x0},
            {"OBJECT_TYPE_INITIALIZER", "ObjectTypeFlags", 0x2, 0x2},
            {"OBJECT_TYPE_INITIALIZER", "ObjectTypeCode", 0x4, 0x4},
            {"OBJECT_TYPE_INITIALIZER", "InvalidAttributes", 0x8, 0x8},
            {"OBJECT_TYPE_INITIALIZER", "GenericMapping", 0xc, 0xc},
            {"OBJECT_TYPE_INITIALIZER", "ValidAccessMask", 0x1c, 0x1c},
            {"OBJECT_TYPE_INITIALIZER", "RetainAccess", 0x20, 0x20},
            {"OBJECT_TYPE_INITIALIZER", "PoolType", 0x24, 0x24},
            {"OBJECT_TYPE_INITIALIZER", "DefaultPagedPoolCharge", 0x28, 0x28},
            {"OBJECT_TYPE_INITIALIZER", "DefaultNonPagedPoolCharge", 0x2c, 0x2c},
            {"OBJECT_TYPE_INITIALIZER", "DumpProcedure", 0x30, 0x30},
            {"OBJECT_TYPE_INITIALIZER", "OpenProcedure", 0x38, 0x34},
            {"OBJECT_TYPE_INITIALIZER", "CloseProcedure", 0x40, 0x38},
            {"OBJECT_TYPE_INITIALIZER", "DeleteProcedure", 0x48, 0x3c},
            {"OBJECT_TYPE_INITIALIZER", "ParseProcedure", 0x50, 0x40},
            {"OBJECT_TYPE_INITIALIZER", "ParseProcedureEx", 0x50, 0x40},
            {"OBJECT_TYPE_INITIALIZER", "SecurityProcedure", 0x58, 0x44},
            {"OBJECT_TYPE_INITIALIZER", "QueryNameProcedure", 0x60, 0x48},
            {"OBJECT_TYPE_INITIALIZER", "OkayToCloseProcedure", 0x68, 0x4c},
            {"OBJECT_TYPE_INITIALIZER", "WaitObjectFlagMask", 0x70, 0x50},
            {"OBJECT_TYPE_INITIALIZER", "WaitObjectFlagOffset", 0x74, 0x54},
            {"OBJECT_TYPE_INITIALIZER", "WaitObjectPointerOffset", 0x76, 0x56},

            {"IO_WORKITEM", "(size)", 0x58, 0x34},
            {"IO_WORKITEM", "WorkItem", 0x0, 0x0},
            {"IO_WORKITEM", "Routine", 0x20, 0x10},
            {"IO_WORKITEM", "IoObject", 0x28, 0x14},
            {"IO_WORKITEM", "Context", 0x30, 0x18},
            {"IO_WORKITEM", "WorkOnBehalfThread", 0x38, 0x1c},
            {"IO_WORKITEM", "Type", 0x40, 0x20},
            {"IO_WORKITEM", "ActivityId", 0x44, 0x24},

            {"KINTERRUPT", "(size)", 0x120, 0xd0},
            {"KINTERRUPT", "Type", 0x0, 0x0},
            {"KINTERRUPT", "Size", 0x2, 0x2},
            {"KINTERRUPT", "InterruptListEntry", 0x8, 0x4},
            {"KINTERRUPT", "ServiceRoutine", 0x18, 0xc},
            {"KINTERRUPT", "MessageServiceRoutine", 0x20, 0x10},
            {"KINTERRUPT", "MessageIndex", 0x28, 0x14},
            {"KINTERRUPT", "ServiceContext", 0x30, 0x18},
            {"KINTERRUPT", "SpinLock", 0x38, 0x1c},
            {"KINTERRUPT", "TickCount", 0x40, 0x20},
            {"KINTERRUPT", "ActualLock", 0x48, 0x24},
            {"KINTERRUPT", "DispatchAddress", 0x50, 0x28},
            {"KINTERRUPT", "Vector", 0x58, 0x2c},
            {"KINTERRUPT", "Irql", 0x5c, 0x30},
            {"KINTERRUPT", "SynchronizeIrql", 0x5d, 0x31},
            {"KINTERRUPT", "FloatingSave", 0x5e, 0x32},
            {"KINTERRUPT", "Connected", 0x5f, 0x33},
            {"KINTERRUPT", "Number", 0x60, 0x34},
            {"KINTERRUPT", "ShareVector", 0x64, 0x38},
            {"KINTERRUPT", "EmulateActiveBoth", 0x65, 0x39},
            {"KINTERRUPT", "ActiveCount", 0x66, 0x3a},
            {"KINTERRUPT", "InternalState", 0x68, 0x3c},
            {"KINTERRUPT", "Mode", 0x6c, 0x40},
            {"KINTERRUPT", "Polarity", 0x70, 0x44},
            {"KINTERRUPT", "ServiceCount", 0x74, 0x48},
            {"KINTERRUPT", "DispatchCount", 0x78, 0x4c},
            {"KINTERRUPT", "PassiveEvent", 0x80, 0x50},
            {"KINTERRUPT", "TrapFrame", 0x88, 0x54},
            {"KINTERRUPT", "DisconnectData", 0x90, 0x58},
            {"KINTERRUPT", "ServiceThread", 0x98, 0x5c},
            {"KINTERRUPT", "ConnectionData", 0xa0, 0x60},
            {"KINTERRUPT", "IntTrackEntry", 0xa8, 0x64},
            {"KINTERRUPT", "IsrDpcStats", 0xb0, 0x68},
            {"KINTERRUPT", "RedirectObject", 0x110, 0xc8},
            {"KINTERRUPT", "PhysicalDeviceObject", 0x118, 0xcc},
    };

    /** {structure, bit field, x64 byte, x86 byte, bit offset, width} ("byte 0x1b, bit 4" is written 0x1b, 4). */
    private static final Object[][] SPEC_BITS = {
            {"OBJECT_HEADER", "DbgRefTrace", 0x19, 0xd, 0, 1},
            {"OBJECT_HEADER", "DbgTracePermanent", 0x19, 0xd, 1, 1},
            {"OBJECT_HEADER", "NewObject", 0x1b, 0xf, 0, 1},
            {"OBJECT_HEADER", "KernelObject", 0x1b, 0xf, 1, 1},
            {"OBJECT_HEADER", "KernelOnlyAccess", 0x1b, 0xf, 2, 1},
            {"OBJECT_HEADER", "ExclusiveObject", 0x1b, 0xf, 3, 1},
            {"OBJECT_HEADER", "PermanentObject", 0x1b, 0xf, 4, 1},
            {"OBJECT_HEADER", "DefaultSecurityQuota", 0x1b, 0xf, 5, 1},
            {"OBJECT_HEADER", "SingleHandleEntry", 0x1b, 0xf, 6, 1},
            {"OBJECT_HEADER", "DeletedInline", 0x1b, 0xf, 7, 1},
            {"OBJECT_TYPE_INITIALIZER", "CaseInsensitive", 0x2, 0x2, 0, 1},
            {"OBJECT_TYPE_INITIALIZER", "UnnamedObjectsOnly", 0x2, 0x2, 1, 1},
            {"OBJECT_TYPE_INITIALIZER", "UseDefaultObject", 0x2, 0x2, 2, 1},
            {"OBJECT_TYPE_INITIALIZER", "SecurityRequired", 0x2, 0x2, 3, 1},
            {"OBJECT_TYPE_INITIALIZER", "MaintainHandleCount", 0x2, 0x2, 4, 1},
            {"OBJECT_TYPE_INITIALIZER", "MaintainTypeList", 0x2, 0x2, 5, 1},
            {"OBJECT_TYPE_INITIALIZER", "SupportsObjectCallbacks", 0x2, 0x2, 6, 1},
            {"OBJECT_TYPE_INITIALIZER", "CacheAligned", 0x2, 0x2, 7, 1},
            {"OBJECT_TYPE_INITIALIZER", "UseExtendedParameters", 0x3, 0x3, 0, 1},
            {"OBJECT_TYPE_INITIALIZER", "Reserved", 0x3, 0x3, 1, 7},
    };

    static Stream<Arguments> specRows() {
        List<Arguments> rows = new ArrayList<>();
        for (Object[] row : SPEC) {
            rows.add(Arguments.of(row[0], row[1], Abi.X64, row[2]));
            rows.add(Arguments.of(row[0], row[1], Abi.X86, row[3]));
        }
        return rows.stream();
    }

    @ParameterizedTest(name = "{0}.{1} ({2}) at {3}")
    @MethodSource("specRows")
    void shouldPlaceEveryModelledFieldAtWindowsOffset(String struct, String field, Abi abi, int expected) {
        StructSpec spec = Structures.get(struct, abi);
        if (field.equals("(size)")) {
            assertEquals(expected, spec.size(), () -> struct + " size (" + abi.id() + ")");
        } else if (expected < 0) {
            assertTrue(!spec.hasField(field), () -> struct + "." + field + " must be absent on " + abi.id());
        } else {
            assertEquals(expected, spec.offset(field), () -> struct + "." + field + " (" + abi.id() + ")");
        }
    }

    @Test
    void shouldPlaceBitFieldsAtWindowsBits() {
        for (Object[] row : SPEC_BITS) {
            for (Abi abi : Abi.values()) {
                Field f = Structures.get((String) row[0], abi).field((String) row[1]);
                int offset = (Integer) (abi == Abi.X64 ? row[2] : row[3]);
                String what = row[0] + "." + row[1] + " (" + abi.id() + ")";
                assertAll(what,
                        () -> assertEquals(offset, f.offset(), what + " byte"),
                        () -> assertEquals((Integer) row[4], f.bitOffset(), what + " bit offset"),
                        () -> assertEquals((Integer) row[5], f.bitWidth(), what + " width"));
            }
        }
    }

    @Test
    void shouldGiveEmbeddedHeadersTheirKernelSizes() {
        assertEquals(0x438, EPROCESS.X64.field("Pcb").size());
        assertEquals(0xe0, EPROCESS.X86.field("Pcb").size());
        assertEquals(0x430, ETHREAD.X64.field("Tcb").size());
        assertEquals(0x280, ETHREAD.X86.field("Tcb").size());
        assertEquals(0xc0, ETHREAD.X64.field("Tcb.WaitBlock").size(), "KWAIT_BLOCK[4]");
        assertEquals(0, EPROCESS.X64.offset("Pcb.Header"));
        assertEquals(0x10, ETHREAD.X64.field("Cid").size());
        assertEquals(0x78, OBJECT_TYPE.X64.field("TypeInfo").size());
        assertEquals(0x58, OBJECT_TYPE.X86.field("TypeInfo").size());
        assertEquals(0x20, IO_WORKITEM.X64.field("WorkItem").size());
        assertEquals(0x10, IO_WORKITEM.X86.field("WorkItem").size());
        assertEquals(16, IO_WORKITEM.X86.field("ActivityId").size());
        assertEquals(15, EPROCESS.X86.field("ImageFileName").size());
    }

    @Test
    void shouldExposeX64OffsetsAsConstants() {
        assertEquals(0x440, EPROCESS.UNIQUE_PROCESS_ID_OFFSET);
        assertEquals(0x4b8, EPROCESS.TOKEN_OFFSET);
        assertEquals(0x480, ETHREAD.CID_UNIQUE_THREAD_OFFSET);
        assertEquals(0x30, OBJECT_HEADER.BODY_OFFSET);
        assertEquals(0x40, OBJECT_TYPE.TYPE_INFO_OFFSET);
        assertEquals(0x48, OBJECT_TYPE_INITIALIZER.DELETE_PROCEDURE_OFFSET);
        assertEquals(0x44, IO_WORKITEM.ACTIVITY_ID_OFFSET);
        assertEquals(0x118, KINTERRUPT.PHYSICAL_DEVICE_OBJECT_OFFSET);
        assertEquals(0x40, EX_TIMER.TIMER_DPC_OFFSET);
    }

    @Test
    void shouldMarkEveryOpaqueObjectOpaqueAndAlignItAsWindows() {
        for (String name : List.of("EPROCESS", "ETHREAD", "OBJECT_HEADER", "OBJECT_TYPE",
                "OBJECT_TYPE_INITIALIZER", "EX_TIMER", "IO_WORKITEM", "KINTERRUPT")) {
            for (Abi abi : Abi.values()) {
                StructSpec s = Structures.get(name, abi);
                assertEquals(StructSpec.Origin.OPAQUE, s.origin(), name);
                // x86: the objects holding a 64-bit integer (CreateTime, QUAD, KTIMER, ISRDPCSTATS) are 8-aligned.
                long expectedAlign = abi == Abi.X64 || List.of("EPROCESS", "ETHREAD", "OBJECT_HEADER", "EX_TIMER",
                        "KINTERRUPT").contains(name) ? 8 : 4;
                assertEquals(expectedAlign, s.align(), name + " align (" + abi.id() + ")");
                assertEquals(0, s.size() % s.align(), name + " size multiple of align");
            }
        }
    }

    @Test
    void shouldReserveEveryUnmodelledByteAsExplicitPadding() {
        // The bytes between ThreadListHead's end and EPROCESS's end are one padding element.
        StructLayout layout = EPROCESS.X64.layout();
        MemoryLayout last = layout.memberLayouts().getLast();
        assertTrue(last instanceof PaddingLayout, "tail is reserved");
        assertEquals(0xa40 - (0x5e0 + 0x10), last.byteSize());
        // Between Cid's end and the next modelled member of ETHREAD (ClientSecurity), and between
        // ClientSecurity's end and Win32StartAddress: one padding element each.
        assertEquals(0x4a8 - (0x478 + 0x10), paddingBefore(ETHREAD.X64.layout(), 0x4a8));
        assertEquals(0x4d0 - (0x4a8 + 0x8), paddingBefore(ETHREAD.X64.layout(), 0x4d0));
        assertEquals(0x2c8 - (0x2ac + 0x8), paddingBefore(ETHREAD.X86.layout(), 0x2c8));
        assertEquals(0x2dc - (0x2c8 + 0x4), paddingBefore(ETHREAD.X86.layout(), 0x2dc));
        // KINTERRUPT's IsrDpcStats is a member of Windows' size whose contents are all padding.
        for (Abi abi : Abi.values()) {
            StructLayout stats = (StructLayout) KINTERRUPT.of(abi).layout().select(
                    MemoryLayout.PathElement.groupElement(memberIndex(KINTERRUPT.of(abi).layout(),
                            KINTERRUPT.of(abi).offset("IsrDpcStats"))));
            assertEquals(KINTERRUPT.ISR_DPC_STATS_SIZE, stats.byteSize());
            assertEquals(8, stats.byteAlignment());
            assertTrue(stats.memberLayouts().stream().allMatch(m -> m instanceof PaddingLayout), "contents reserved");
        }
    }

    @Test
    void shouldLayOutExTimerAsDesigned() {
        StructSpec x64 = EX_TIMER.X64;
        StructSpec x86 = EX_TIMER.X86;
        assertEquals(0xc0, x64.size());
        assertEquals(0x78, x86.size());
        assertEquals(0, x64.offset("KeTimer"));
        assertEquals(0x28, x86.offset("TimerDpc"));
        assertEquals(0x80, x64.offset("Callback"));
        assertEquals(0x48, x86.offset("Callback"));
        assertEquals(0xa0, x64.offset("Period"));
        assertEquals(0x58, x86.offset("Period"));
        assertEquals(0xb4, x64.offset("State"));
        assertEquals(0x6c, x86.offset("State"));
        assertEquals(0xb8, x64.offset("ExpirationCount"));
        assertEquals(0x70, x86.offset("ExpirationCount"));
        Field generation = x64.field("Generation");
        assertEquals(0xb4, generation.offset());
        assertEquals(EX_TIMER.STATE_GENERATION_SHIFT, generation.bitOffset());
        assertEquals(16, generation.bitWidth());
        Field inFlight = x86.field("CallbacksInFlight");
        assertEquals(EX_TIMER.STATE_IN_FLIGHT_SHIFT, inFlight.bitOffset());
        assertEquals(EX_TIMER.STATE_IN_FLIGHT_MASK, (1 << inFlight.bitWidth()) - 1);
        assertEquals(EX_TIMER.STATE_LIVE, (int) x64.field("Live").mask());
        assertEquals(EX_TIMER.STATE_CANCELLED, (int) x86.field("Cancelled").mask());
        assertEquals(EX_TIMER.STATE_DELETE_ON_EXPIRY, (int) x64.field("DeleteOnExpiry").mask());
    }

    @Test
    void shouldKeepFieldsInsideTheirStructure() {
        for (Abi abi : Abi.values()) {
            for (StructSpec s : Structures.all(abi)) {
                for (Field f : s.fields()) {
                    assertTrue(f.offset() + f.size() <= s.size(), s + "." + f.name() + " overruns");
                }
            }
        }
    }

    /** Index of the member layout that starts at {@code offset}. */
    private static long memberIndex(StructLayout layout, long offset) {
        long position = 0;
        List<MemoryLayout> members = layout.memberLayouts();
        for (int i = 0; i < members.size(); i++) {
            if (position == offset && !(members.get(i) instanceof PaddingLayout)) {
                return i;
            }
            position += members.get(i).byteSize();
        }
        throw new AssertionError("no member starts at 0x" + Long.toHexString(offset));
    }

    /** Size of the padding element that ends exactly at {@code offset}, or 0 if a member ends there. */
    private static long paddingBefore(StructLayout layout, long offset) {
        long position = 0;
        for (MemoryLayout m : layout.memberLayouts()) {
            position += m.byteSize();
            if (position == offset) {
                return m instanceof PaddingLayout ? m.byteSize() : 0;
            }
        }
        throw new AssertionError("no member ends at 0x" + Long.toHexString(offset));
    }
}
