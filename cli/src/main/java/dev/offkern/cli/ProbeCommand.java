package dev.offkern.cli;

import dev.offkern.shim.Cas128;
import dev.offkern.shim.Cpu;
import dev.offkern.shim.FloatingPointControl;
import dev.offkern.shim.NativeShim;
import dev.offkern.shim.XState;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code offkern probe}: what this host offers offkern (CPU features, XCR0, the native shim) and a
 * live 128-bit CAS self-test on an SLIST_HEADER, as text for people or as one JSON object
 * ({@code --format json}, docs/cli.md). Both end with the verdict and every reason for it. Exit status
 * 0 when everything offkern needs works and the self-test conserves every entry, 1 otherwise, 2 for
 * bad options.
 */
@Command(name = "probe", mixinStandardHelpOptions = true,
        description = {"Reports the CPU features and the native shim offkern needs, then runs a live 128-bit CAS "
                + "self-test.",
                "The self-test: two threads push and pop one SLIST_HEADER through lock cmpxchg16b, then an "
                        + "audit checks that every entry is accounted for exactly once and that Depth and "
                        + "Sequence agree."},
        exitCodeList = {"0:PASS: the shim loaded, 128-bit CAS works and the self-test accounted for every entry",
                "1:FAIL: no shim, an ABI mismatch, no cmpxchg16b, or a self-test problem (all named in the output)",
                "2:usage error (unknown option, --operations or --entries out of range)"},
        footer = {"  offkern probe                   # features, then a 1M-operation self-test",
                "  offkern probe --no-self-test    # features only",
                "  offkern probe --format json | jq .selfTest.passed"})
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

    @Option(names = "--format", paramLabel = "text|json", defaultValue = "text", converter = OutputFormat.Converter.class,
            description = "Output: text for people, json for programs (default: ${DEFAULT-VALUE}; docs/cli.md).")
    OutputFormat format;

    /** Creates the command (picocli instantiates it). */
    public ProbeCommand() {
    }

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
        boolean text = format == OutputFormat.TEXT;
        ObjectNode json = JsonMapper.builder().build().createObjectNode();
        json.put("offkern", BuildVersion.version());
        List<String> failures = new ArrayList<>();
        List<String> passes = new ArrayList<>();

        ObjectNode shim = json.putObject("shim");
        shim.put("loaded", NativeShim.isLoaded());
        shim.put("location", NativeShim.location());
        shim.put("source", NativeShim.source());
        if (!NativeShim.isLoaded()) {
            failures.add("the native shim did not load: " + NativeShim.location());
            if (text) {
                out.println("Native shim");
                out.println("  loaded      no: " + NativeShim.location());
            }
            return finish(out, json, passes, failures);
        }
        int abi = NativeShim.abiVersion();
        shim.put("abi", abi);
        shim.put("expectedAbi", NativeShim.EXPECTED_ABI_VERSION);
        if (abi == NativeShim.EXPECTED_ABI_VERSION) {
            passes.add("the shim (ABI " + abi + ") loaded");
        } else {
            failures.add("the shim's ABI is " + abi + " but the bindings expect " + NativeShim.EXPECTED_ABI_VERSION);
        }
        if (text) {
            out.println("Native shim");
            out.println("  loaded      yes, from " + NativeShim.location() + " (" + NativeShim.source() + ")");
            out.println("  ABI         " + abi + (abi == NativeShim.EXPECTED_ABI_VERSION ? ""
                    : " (MISMATCH: bindings expect " + NativeShim.EXPECTED_ABI_VERSION + ")"));
        }

        cpu(text ? out : null, json.putObject("cpu"));

        ObjectNode cas = json.putObject("cas128");
        cas.put("supported", Cas128.isSupported());
        if (!Cas128.isSupported()) {
            String why;
            try {
                Cas128.requireSupported();
                why = "128-bit CAS is not supported";
            } catch (UnsupportedOperationException e) {
                why = Main.oneLine(e.getMessage());
            }
            cas.put("problem", why);
            failures.add(why);
            if (text) {
                out.println("128-bit CAS: " + why);
            }
            return finish(out, json, passes, failures);
        }
        passes.add("cmpxchg16b works");

        if (noSelfTest) {
            json.putNull("selfTest");
        } else {
            long ops = operations & ~1L;
            if (text) {
                out.printf(Locale.ROOT, "128-bit CAS self-test: SLIST push/pop, 2 threads, %,d operations, %d entries%n",
                        ops, entries);
                out.flush();
            }
            SListSelfTest.Result r = SListSelfTest.run(operations, entries);
            ObjectNode st = json.putObject("selfTest");
            st.put("operations", ops);
            st.put("entries", entries);
            st.put("threads", 2);
            st.put("nanos", r.nanos());
            st.put("opsPerSecond", Math.round(r.opsPerSecond()));
            st.put("onList", r.onList());
            st.put("held", r.held());
            st.put("depth", r.depth());
            st.put("sequence", r.sequence());
            st.put("pushes", r.pushes());
            ArrayNode problems = st.putArray("problems");
            r.problems().forEach(problems::add);
            st.put("passed", r.passed());
            if (text) {
                out.printf(Locale.ROOT, "  throughput  %,.0f ops/s (%.1f ms)%n", r.opsPerSecond(), r.nanos() / 1e6);
                out.printf(Locale.ROOT, "  audit       %d on the list + %d held = %d entries; Depth %d; Sequence %,d for %,d pushes%n",
                        r.onList(), r.held(), r.onList() + r.held(), r.depth(), r.sequence(), r.pushes());
                for (String p : r.problems()) {
                    out.println("  problem     " + p);
                }
                out.println("  self-test   " + (r.passed() ? "PASS (every entry accounted for exactly once)" : "FAIL"));
            }
            if (r.passed()) {
                passes.add(String.format(Locale.ROOT, "the self-test accounted for all %d entries after %,d operations",
                        entries, ops));
            } else {
                failures.add("the self-test found " + r.problems().size() + " problem(s): " + String.join("; ", r.problems()));
            }
        }
        return finish(out, json, passes, failures);
    }

    /** The CPU section: printed when {@code out} is not null, recorded in {@code cpu} always. */
    private static void cpu(PrintWriter out, ObjectNode cpu) {
        Cpu.Features f = Cpu.features();
        cpu.put("vendor", Cpu.vendor());
        cpu.put("brand", Cpu.brand());
        ObjectNode features = cpu.putObject("features");
        features.put("cx16", f.cx16());
        features.put("sse2", f.sse2());
        features.put("sse42", f.sse42());
        features.put("avx", f.avx());
        features.put("avx2", f.avx2());
        features.put("avx512f", f.avx512f());
        features.put("hypervisor", f.hypervisor());
        features.put("xsave", f.xsave());
        features.put("osxsave", f.osxsave());
        features.put("xsaveopt", f.xsaveopt());
        features.put("xsavec", f.xsavec());
        features.put("xsaves", f.xsaves());
        long xcr0 = f.osxsave() ? Cpu.xgetbv0() : 0;
        long usable = f.osxsave() ? XState.usableMask() : 0;
        if (f.osxsave()) {
            cpu.put("xcr0", xcr0);
            ArrayNode names = cpu.putArray("xcr0Components");
            for (String n : components(xcr0).split(" ")) {
                names.add(n);
            }
            cpu.put("xsaveUsableMask", usable);
            cpu.put("xsaveAreaBytes", XState.requiredAreaSize(usable));
            cpu.put("xsaveCompactedAreaBytes", f.xsavec() ? XState.requiredCompactedAreaSize(usable) : 0);
        } else {
            cpu.putNull("xcr0");
        }
        cpu.put("mxcsr", FloatingPointControl.mxcsr());
        cpu.put("mxcsrMask", FloatingPointControl.mxcsrMask());
        cpu.put("x87ControlWord", FloatingPointControl.x87ControlWord());
        if (out == null) {
            return;
        }
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
            out.printf(Locale.ROOT, "  XCR0        0x%x (%s)%n", xcr0, components(xcr0));
            out.printf(Locale.ROOT, "  XSAVE area  %d bytes standard, %d compacted, for usable components 0x%x%n",
                    XState.requiredAreaSize(usable), f.xsavec() ? XState.requiredCompactedAreaSize(usable) : 0, usable);
        } else {
            out.println("  XCR0        unavailable (OSXSAVE clear)");
        }
        out.printf(Locale.ROOT, "  MXCSR       0x%04x (mask 0x%x)   x87 control word 0x%04x%n", FloatingPointControl.mxcsr(),
                FloatingPointControl.mxcsrMask(), FloatingPointControl.x87ControlWord());
    }

    /**
     * Ends the output: the verdict with every reason for it (text: the {@code result:} line; JSON: the
     * {@code result} and {@code reasons} members, then the whole object). Returns the exit status.
     */
    private int finish(PrintWriter out, ObjectNode json, List<String> passes, List<String> failures) {
        boolean ok = failures.isEmpty();
        List<String> reasons = ok ? passes : failures;
        if (format == OutputFormat.TEXT) {
            out.println("result: " + (ok ? "PASS" : "FAIL") + " (" + String.join("; ", reasons) + ")");
        } else {
            json.put("result", ok ? "PASS" : "FAIL");
            ArrayNode r = json.putArray("reasons");
            reasons.forEach(r::add);
            out.println(JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValueAsString(json));
        }
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
