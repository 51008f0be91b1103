package dev.offkern.cli;

import dev.offkern.shim.Cas128;
import dev.offkern.shim.Cpu;
import dev.offkern.shim.FloatingPointControl;
import dev.offkern.shim.NativeShim;
import dev.offkern.shim.XState;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code offkern probe}: what this host offers offkern (CPU features, XCR0, the native shim) and a
 * live 128-bit CAS self-test on an SLIST_HEADER. Exit status 0 when everything offkern needs works and
 * the self-test conserves every entry, 1 otherwise, 2 for bad options.
 */
@Command(name = "probe", mixinStandardHelpOptions = true,
        description = {"Report CPU features and the native shim, then run a live 128-bit CAS self-test:",
                "two threads push and pop one SLIST_HEADER and every entry must be accounted for."})
public final class ProbeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--operations", paramLabel = "N", defaultValue = "1000000",
            description = "SLIST operations for the self-test, over both threads (default: ${DEFAULT-VALUE}).")
    long operations;

    @Option(names = "--entries", paramLabel = "N", defaultValue = "64",
            description = "Entries circulating through the list, 1..65535 (default: ${DEFAULT-VALUE}).")
    int entries;

    @Option(names = "--no-self-test", description = "Only report features; skip the CAS self-test.")
    boolean noSelfTest;

    @Override
    public Integer call() throws Exception {
        if (operations < 2) {
            throw new ParameterException(spec.commandLine(), "--operations must be at least 2, was " + operations);
        }
        if (entries < 1 || entries > 0xFFFF) {
            throw new ParameterException(spec.commandLine(),
                    "--entries must be in 1..65535 (Depth is 16 bits), was " + entries);
        }
        PrintWriter out = spec.commandLine().getOut();
        boolean ok = true;
        out.println("Native shim");
        if (!NativeShim.isLoaded()) {
            out.println("  loaded      no: " + NativeShim.location());
            out.println("result: FAIL (offkern needs the shim for SLIST and 128-bit CAS)");
            out.flush();
            return 1;
        }
        int abi = NativeShim.abiVersion();
        out.println("  loaded      yes, from " + NativeShim.location());
        out.println("  ABI         " + abi + (abi == NativeShim.EXPECTED_ABI_VERSION ? "" : " (MISMATCH: bindings expect "
                + NativeShim.EXPECTED_ABI_VERSION + ")"));
        ok &= abi == NativeShim.EXPECTED_ABI_VERSION;

        Cpu.Features f = Cpu.features();
        out.println("CPU");
        out.println("  vendor      " + Cpu.vendor());
        out.println("  brand       " + Cpu.brand());
        out.println("  cx16        " + yesNo(f.cx16()) + "  (lock cmpxchg16b: SLIST and 128-bit CAS)");
        out.println("  sse2 " + yesNo(f.sse2()) + "  sse4.2 " + yesNo(f.sse42()) + "  avx " + yesNo(f.avx())
                + "  avx2 " + yesNo(f.avx2()) + "  avx512f " + yesNo(f.avx512f()) + "  hypervisor "
                + yesNo(f.hypervisor()));
        out.println("  xsave " + yesNo(f.xsave()) + "  osxsave " + yesNo(f.osxsave()) + "  xsaveopt "
                + yesNo(f.xsaveopt()) + "  xsavec " + yesNo(f.xsavec()) + "  xsaves " + yesNo(f.xsaves())
                + (f.xsaves() ? " (privileged, not used)" : ""));
        if (f.osxsave()) {
            long xcr0 = Cpu.xgetbv0();
            out.printf("  XCR0        0x%x (%s)%n", xcr0, components(xcr0));
            long usable = XState.usableMask();
            out.printf("  XSAVE area  %d bytes standard, %d compacted, for usable components 0x%x%n",
                    XState.requiredAreaSize(usable), f.xsavec() ? XState.requiredCompactedAreaSize(usable) : 0, usable);
        } else {
            out.println("  XCR0        unavailable (OSXSAVE clear)");
        }
        out.printf("  MXCSR       0x%04x (mask 0x%x)   x87 control word 0x%04x%n", FloatingPointControl.mxcsr(),
                FloatingPointControl.mxcsrMask(), FloatingPointControl.x87ControlWord());

        if (!Cas128.isSupported()) {
            try {
                Cas128.requireSupported();
            } catch (UnsupportedOperationException e) {
                out.println("128-bit CAS: " + e.getMessage());
            }
            out.println("result: FAIL");
            out.flush();
            return 1;
        }
        if (!noSelfTest) {
            out.printf("128-bit CAS self-test: SLIST push/pop, 2 threads, %,d operations, %d entries%n",
                    operations & ~1L, entries);
            out.flush();
            SListSelfTest.Result r = SListSelfTest.run(operations, entries);
            out.printf("  throughput  %,.0f ops/s (%.1f ms)%n", r.opsPerSecond(), r.nanos() / 1e6);
            out.printf("  audit       %d on the list + %d held = %d entries; Depth %d; Sequence %,d for %,d pushes%n",
                    r.onList(), r.held(), r.onList() + r.held(), r.depth(), r.sequence(), r.pushes());
            for (String p : r.problems()) {
                out.println("  problem     " + p);
            }
            out.println("  self-test   " + (r.passed() ? "PASS (every entry accounted for exactly once)" : "FAIL"));
            ok &= r.passed();
        }
        out.println("result: " + (ok ? "PASS" : "FAIL"));
        out.flush();
        return ok ? 0 : 1;
    }

    private static String yesNo(boolean b) {
        return b ? "yes" : "no";
    }

    private static final String[] COMPONENT_NAMES = {"x87", "SSE", "AVX", "MPX-BNDREGS", "MPX-BNDCSR", "AVX512-opmask",
            "AVX512-ZMM_Hi256", "AVX512-Hi16_ZMM", "PT", "PKRU", "PASID", "CET_U", "CET_S", "HDC", "UINTR", "LBR",
            "HWP", "AMX-TILECFG", "AMX-TILEDATA"};

    static String components(long mask) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            if ((mask >>> i & 1) != 0) {
                names.add(i < COMPONENT_NAMES.length ? COMPONENT_NAMES[i] : "bit" + i);
            }
        }
        return String.join(" ", names);
    }
}
