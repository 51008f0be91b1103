package dev.offkern.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CpuTest {

    @Test
    void shouldReportFeaturesEveryX64CpuHas() {
        Cpu.Features f = Cpu.features();
        assertTrue(f.maxLeaf() >= 1);
        assertTrue(Integer.compareUnsigned(f.maxExtendedLeaf(), 0x8000_0000) >= 0);
        assertTrue(f.sse2(), "SSE2 is architectural on x86-64");
        assertTrue(f.fxsr(), "FXSR is architectural on x86-64");
    }

    @Test
    void shouldReadVendorAsTwelveAsciiCharacters() {
        String vendor = Cpu.vendor();
        assertEquals(12, vendor.length(), vendor);
        assertTrue(vendor.chars().allMatch(c -> c >= 0x20 && c < 0x7F), vendor);
    }

    /** /proc/cpuinfo is the kernel's own CPUID reading: the two must agree where both speak. */
    @Test
    void shouldAgreeWithLinuxCpuinfo() throws Exception {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(cpuinfo));
        String text = Files.readString(cpuinfo);
        String flagsLine = text.lines().filter(l -> l.startsWith("flags")).findFirst().orElseThrow();
        var flags = java.util.Set.of(flagsLine.substring(flagsLine.indexOf(':') + 1).trim().split("\\s+"));
        Cpu.Features f = Cpu.features();
        assertEquals(flags.contains("cx16"), f.cx16(), "cx16");
        assertEquals(flags.contains("xsave"), f.xsave(), "xsave");
        assertEquals(flags.contains("xsaveopt"), f.xsaveopt(), "xsaveopt");
        assertEquals(flags.contains("xsavec"), f.xsavec(), "xsavec");
        assertEquals(flags.contains("sse4_2"), f.sse42(), "sse4_2");
        assertEquals(flags.contains("avx2"), f.avx2(), "avx2");
        assertEquals(flags.contains("hypervisor"), f.hypervisor(), "hypervisor");
        String vendorLine = text.lines().filter(l -> l.startsWith("vendor_id")).findFirst().orElseThrow();
        assertEquals(vendorLine.substring(vendorLine.indexOf(':') + 1).trim(), Cpu.vendor());
        String modelLine = text.lines().filter(l -> l.startsWith("model name")).findFirst().orElseThrow();
        assertEquals(modelLine.substring(modelLine.indexOf(':') + 1).trim(), Cpu.brand());
    }

    @Test
    void shouldReadXcr0WithX87AndSseEnabledWhenOsxsave() {
        Cpu.Features f = Cpu.features();
        if (f.osxsave()) {
            assertEquals(0x3, Cpu.xgetbv0() & 0x3, "XCR0 bit 0 is always 1 and Linux enables SSE");
            if (f.avx()) {
                assertTrue((Cpu.xgetbv0() & 0x4) != 0, "Linux enables AVX state when the CPU has AVX");
            }
        } else {
            assertEquals(0, Cpu.xgetbv0());
        }
    }

    @Test
    void shouldExposeRawCpuidConsistentWithFeatures() {
        int[] l1 = Cpu.cpuid(1, 0);
        assertEquals(4, l1.length);
        assertEquals(Cpu.features().cx16(), (l1[2] >>> 13 & 1) == 1);
        assertFalse(Cpu.describe().isEmpty());
    }

    @Test
    void shouldLoadShimFromExtractedLibrary() {
        assertTrue(NativeShim.isLoaded(), NativeShim.location());
        assertTrue(NativeShim.location().endsWith("liboffkern_shim.so"), NativeShim.location());
        assertEquals(NativeShim.EXPECTED_ABI_VERSION, NativeShim.abiVersion());
    }
}
