package dev.offkern.tests.oracle;

import dev.offkern.layout.mingw.KnownDifference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.mingw.KnownDifference.Kind;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Shows that the oracle can fail: deliberately wrong layouts and stale or wrong exceptions are each
 * reported with the structure, member, ABI and both values.
 */
class WdkOracleSelfTest {

    private static final MingwToolchain X64 = new MingwToolchain(Abi.X64);

    @BeforeAll
    static void needsToolchain() {
        X64.missing().ifPresent(m -> {
            if (Boolean.getBoolean("offkern.requireWdkOracle")) {
                fail("WDK oracle required but " + m);
            }
            System.err.println("********** WDK ORACLE SELF-TEST NOT RUN: " + m + " **********");
            Assumptions.abort(m);
        });
    }

    private static WdkOracle.Report check(List<KnownDifference> known, StructSpec... specs) throws Exception {
        WdkOracle oracle = new WdkOracle(X64, known, Path.of("target", "wdk-oracle-self-test"));
        return oracle.check(List.of(specs));
    }

    private static StructSpec wrongKdpc() {
        // Windows 7's field order without the list entry: DeferredRoutine lands at 0x10 instead of 0x18.
        return CStruct.struct("KDPC", Abi.X64)
                .field("Type", CType.UCHAR)
                .field("Importance", CType.UCHAR)
                .field("Number", CType.USHORT)
                .field("Bogus", CType.ULONG)
                .at(0x10)
                .field("DeferredRoutine", CType.pointer("PKDEFERRED_ROUTINE"))
                .build();
    }

    @Test
    void shouldReportWrongOffsetsSizesAndMissingMembersWithBothValues() throws Exception {
        WdkOracle.Report r = check(List.of(), wrongKdpc());
        String all = String.join("\n", r.failures());
        assertTrue(all.contains("KDPC.DeferredRoutine OFFSET (x64): offkern 0x10, mingw-w64 0x18"), all);
        assertTrue(all.contains("KDPC SIZE (x64): offkern 0x18, mingw-w64 0x40"), all);
        assertTrue(all.contains("KDPC.Bogus (x64): mingw-w64 has no such addressable member"), all);
        // The other direction: members the header declares that this layout leaves out.
        assertTrue(all.contains("KDPC.DpcData (x64): mingw-w64 declares it (at 0x38), offkern does not model it"), all);
        assertTrue(all.contains("KDPC.DpcListEntry (x64): mingw-w64 declares it (at 0x8), offkern does not model it"), all);
        assertEquals(8, r.failures().size(), all);
    }

    @Test
    void shouldReportWrongBitFieldPositions() throws Exception {
        StructSpec slist = CStruct.union("SLIST_HEADER", Abi.X64)
                .struct("HeaderX64", s -> s.bits(CType.ULONGLONG, "Depth", 15, "Sequence", 49)
                        .bits(CType.ULONGLONG, "NextEntry", 60))
                .alignAs(16)
                .build();
        WdkOracle.Report r = check(List.of(), slist);
        String all = String.join("\n", r.failures());
        assertTrue(all.contains("SLIST_HEADER.HeaderX64.Depth BITS (x64): offkern byte 0x0 bit 0 width 15"), all);
        assertTrue(all.contains("SLIST_HEADER.HeaderX64.Sequence BITS (x64): offkern byte 0x1 bit 7 width 49"), all);
        // Reserved:4 left out, so NextEntry starts at bit 0 of the second quadword instead of bit 4.
        assertTrue(all.contains("SLIST_HEADER.HeaderX64.NextEntry BITS (x64): offkern byte 0x8 bit 0 width 60 (bits 64..123),"
                + " mingw-w64 byte 0x8 bit 4 width 60 (bits 68..127)"), all);
        assertEquals(3, r.failures().stream().filter(f -> f.contains(" BITS ")).count(), all);
        assertTrue(all.contains("SLIST_HEADER.Region (x64): mingw-w64 declares it (at 0x8), offkern does not model it"), all);
        assertEquals(3, r.bitFields());
    }

    @Test
    void shouldReportStaleAndMisrecordedExceptions() throws Exception {
        StructSpec kdpc = dev.offkern.layout.ke.KDPC.X64;
        List<KnownDifference> known = List.of(
                KnownDifference.absent("KDPC", KnownDifference.X64, "Type", "not really absent"),
                KnownDifference.value("KDPC", KnownDifference.X64, "DeferredRoutine", Kind.OFFSET, 0x20, "not really different"),
                KnownDifference.value("KDPC", KnownDifference.X64, "DpcListEntry", Kind.FIELD_SIZE, 0x18, "wrong mingw value"),
                KnownDifference.absent("KDPC", KnownDifference.X64, "TargetInfoAsUlong", "Windows 8.1+"),
                KnownDifference.absent("KDPC", KnownDifference.X64, "ProcessorHistory", "Windows 8.1+"));
        WdkOracle.Report r = check(known, kdpc);
        String all = String.join("\n", r.failures());
        assertTrue(all.contains("KDPC.Type (x64): stale exception, mingw-w64 now has the member"), all);
        assertTrue(all.contains("KDPC.DeferredRoutine OFFSET (x64): stale exception, mingw-w64 now agrees"), all);
        assertTrue(all.contains("KDPC.DpcListEntry FIELD_SIZE (x64): the exception records mingw-w64 as 0x18 but it is 0x10"), all);
        assertEquals(3, r.failures().size(), all);
        assertEquals(2, r.confirmed().size(), all);
    }

    @Test
    void shouldReportStructuresMingwDoesNotDeclare() throws Exception {
        StructSpec fake = CStruct.struct("OFFKERN_NOT_A_WDK_TYPE", Abi.X64).field("A", CType.ULONG).build();
        WdkOracle.Report r = check(List.of(), fake);
        assertEquals(1, r.failures().size(), r.failures().toString());
        assertTrue(r.failures().get(0).contains("OFFKERN_NOT_A_WDK_TYPE (x64): mingw-w64's headers do not declare it"));
        WdkOracle.Report excused = check(List.of(KnownDifference.undeclared("OFFKERN_NOT_A_WDK_TYPE",
                KnownDifference.X64, "test")), fake);
        assertTrue(excused.failures().isEmpty(), excused.failures().toString());
    }

    @Test
    void shouldSayWhatIsMissingWhenTheCompilerIsAbsent() {
        MingwToolchain none = new MingwToolchain(Abi.X64, "offkern-no-such-triplet");
        assertTrue(none.missing().orElseThrow().contains("offkern-no-such-triplet-gcc not found"), none.missing().toString());
    }
}
