package dev.offkern.layout;

import dev.offkern.layout.ex.GENERAL_LOOKASIDE;
import dev.offkern.layout.ex.NPAGED_LOOKASIDE_LIST;
import dev.offkern.layout.ex.SLIST_HEADER;
import dev.offkern.layout.ke.DISPATCHER_HEADER;
import dev.offkern.layout.ke.KTIMER;
import dev.offkern.layout.rtl.LARGE_INTEGER;
import dev.offkern.layout.rtl.RTL_RUN_ONCE;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CStructTest {

    @Test
    void shouldRunOnJdk25() {
        assertEquals(25, Runtime.version().feature());
    }

    @Test
    void shouldLayOutDispatcherHeaderAsWindows() {
        assertEquals(0x18, DISPATCHER_HEADER.X64.size());
        assertEquals(0x10, DISPATCHER_HEADER.X86.size());
        assertEquals(4, DISPATCHER_HEADER.X64.offset("SignalState"));
        assertEquals(8, DISPATCHER_HEADER.X64.offset("WaitListHead"));
        Field expired = DISPATCHER_HEADER.X64.field("Expired");
        assertEquals(3, expired.offset());
        assertEquals(7, expired.bitOffset());
        assertEquals(1, expired.bitWidth());
        Field delay = DISPATCHER_HEADER.X86.field("EncodedTolerableDelay");
        assertEquals(1, delay.offset());
        assertEquals(2, delay.bitOffset());
        assertEquals(6, delay.bitWidth());
    }

    @Test
    void shouldLayOutKtimerForBothAbis() {
        assertEquals(0x40, KTIMER.X64.size());
        assertEquals(8, KTIMER.X64.align());
        assertEquals(0x28, KTIMER.X86.size());
        assertEquals(0x24, KTIMER.X86.offset("Period"));
        assertEquals(0x3c, KTIMER.PERIOD_OFFSET);
        assertEquals(0x3a, KTIMER.windows11X64().offset("TimerType"));
    }

    @Test
    void shouldPadAndRoundUnionsAndNamedMembers() {
        StructSpec s = CStruct.struct("T", Abi.X64)
                .field("A", CType.UCHAR)
                .union("U", u -> u.field("P", CType.PVOID).field("B", CType.UCHAR))
                .bits(CType.USHORT, "X", 3, "Y", 13, "Z", 1)
                .build();
        assertEquals(8, s.offset("U"));
        assertEquals(8, s.offset("U.B"));
        assertEquals(16, s.offset("X"));
        assertEquals(18, s.offset("Z"));
        assertEquals(24, s.size());
        assertTrue(s.hasField("U.P"));
    }

    @Test
    void shouldPlaceOpaqueFieldsAtGivenOffsets() {
        StructSpec s = CStruct.opaque("O", Abi.X64).at(0x40).field("F", CType.ULONG).sizeTo(0x80).build();
        assertEquals(0x40, s.offset("F"));
        assertEquals(0x80, s.size());
        assertThrows(IllegalStateException.class, () -> CStruct.opaque("O", Abi.X64).at(8).field("F", CType.ULONG).at(4));
    }

    @Test
    void shouldNameStructureAndMemberInErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KTIMER.X86.field("Processor"));
        assertTrue(e.getMessage().contains("KTIMER") && e.getMessage().contains("Processor"), e.getMessage());
    }

    @Test
    void shouldAlignNextMemberOnlyWhenAskedForPointerAlignment() {
        StructSpec x64 = CStruct.struct("T", Abi.X64).field("A", CType.ULONG).pointerAligned().field("B", CType.USHORT)
                .field("C", CType.USHORT).build();
        assertEquals(8, x64.offset("B"));
        assertEquals(10, x64.offset("C"));
        assertEquals(8, x64.align());
        assertEquals(16, x64.size());
        StructSpec x86 = CStruct.struct("T", Abi.X86).field("A", CType.ULONG).pointerAligned().field("B", CType.USHORT)
                .build();
        assertEquals(4, x86.offset("B"));
        assertThrows(IllegalArgumentException.class, () -> CStruct.struct("T", Abi.X64).alignNext(3));
    }

    @Test
    void shouldCapMemberAlignmentUnderPack() {
        StructSpec packed = CStruct.struct("P", Abi.X86).pack(4)
                .field("A", CType.ULONG)
                .struct("S", s -> s.field("Q", CType.ULONGLONG))
                .field("L", LARGE_INTEGER.X86)
                .build();
        assertEquals(4, packed.offset("S"));
        assertEquals(4, packed.offset("S.Q"));
        assertEquals(12, packed.offset("L"));
        assertEquals(12, packed.offset("L") + LARGE_INTEGER.X86.offset("QuadPart"));
        assertEquals(4, packed.align());
        assertEquals(20, packed.size());
        assertThrows(IllegalStateException.class, () -> CStruct.struct("P", Abi.X86).field("A", CType.ULONG).pack(4));
        StructSpec explicit = CStruct.struct("P", Abi.X64).pack(4).field("A", CType.ULONG).alignNext(8)
                .field("B", CType.ULONG).build();
        assertEquals(8, explicit.offset("B"), "DECLSPEC_ALIGN on a member wins over #pragma pack");
    }

    @Test
    void shouldLayOutBitFieldsInsideUnionsFromBitZero() {
        StructSpec once = RTL_RUN_ONCE.X64;
        assertEquals(0, once.field("State").offset());
        assertEquals(0, once.field("State").bitOffset());
        assertEquals(2, once.field("State").bitWidth());
        assertEquals(8, once.size());
    }

    @Test
    void shouldRejectMisalignedAddressesNamingTheStructure() {
        assertEquals(0x1000, SLIST_HEADER.X64.requireAligned(0x1000));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SLIST_HEADER.X64.requireAligned(0x1008));
        assertTrue(e.getMessage().contains("SLIST_HEADER") && e.getMessage().contains("16") && e.getMessage().contains("0x1008"),
                e.getMessage());
        assertTrue(SLIST_HEADER.X86.isAligned(0x1008));
        assertTrue(!GENERAL_LOOKASIDE.X86.isAligned(0x1020));
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            long address = arena.allocate(NPAGED_LOOKASIDE_LIST.X64.layout()).address();
            assertTrue(NPAGED_LOOKASIDE_LIST.X64.isAligned(address), "arena allocation honours the layout's alignment");
        }
    }
}
