package dev.offkern.bench.se;

import dev.offkern.bench.peers.HeapSddl;
import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Rtl;
import dev.offkern.ddi.Se;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * SDDL throughput on a realistic directory-object descriptor (owner, group, a protected
 * auto-inherited DACL of 30 ACEs of which 12 are object ACEs with one or two GUIDs, a SACL of 3
 * audit ACEs and a mandatory label): {@code ConvertStringSecurityDescriptorToSecurityDescriptorW}
 * from a NUL-terminated UTF-16LE string in native memory + {@code ExFreePool} of the self-relative
 * result, and {@code ConvertSecurityDescriptorToStringSecurityDescriptorW} of that descriptor +
 * {@code ExFreePool} of the string; against {@link HeapSddl}, a minimal heap-only codec of the same
 * grammar subset producing the same bytes and the same text from a Java String / byte[]. Setup checks
 * that both sides agree (same self-relative bytes, same canonical text).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SddlBenchmark {

    static final String SDDL = descriptor();

    private Kernel kernel;
    private Arena arena;
    private MemorySegment string;
    private MemorySegment descriptor;
    private MemorySegment out;
    private MemorySegment size;
    private byte[] heapDescriptor;

    private static String descriptor() {
        String[] guids = {"bf967aba-0de6-11d0-a285-00aa003049e2", "bf967a9c-0de6-11d0-a285-00aa003049e2",
                "6da8a4ff-0e52-11d0-a286-00aa003049e2", "ab721a53-1e2f-11d0-9819-00aa0040529b",
                "4c164200-20c0-11d0-a768-00aa006e0529", "5f202010-79a5-11d0-9020-00c04fc2d4cf"};
        String[] sids = {"BA", "SY", "AU", "DA", "S-1-5-21-1004336348-1177238915-682003330-1105",
                "S-1-5-21-1004336348-1177238915-682003330-512", "PO", "AO", "CO", "RU"};
        StringBuilder s = new StringBuilder("O:DAG:DAD:PAI");
        for (int i = 0; i < 30; i++) {
            String sid = sids[i % sids.length];
            if (i % 5 == 2) {
                s.append("(OA;CI;RPWP;").append(guids[i % guids.length]).append(";;").append(sid).append(')');
            } else if (i % 5 == 4) {
                s.append(i % 2 == 0 ? "(OA;CIIO;CCDC;" : "(OD;CI;CR;").append(guids[(i + 1) % guids.length]).append(';')
                        .append(guids[i % guids.length]).append(';').append(sid).append(')');
            } else if (i % 7 == 3) {
                s.append("(D;OICI;GW;;;").append(sid).append(')');
            } else {
                s.append(i % 3 == 0 ? "(A;OICI;FA;;;" : "(A;CI;LCRPLORC;;;").append(sid).append(')');
            }
        }
        s.append("S:AI(AU;SA;WPSDWDWO;;;WD)(AU;FA;CCDCSW;;;AU)(AU;SAFA;FA;;;S-1-5-21-1004336348-1177238915-682003330-1105)"
                + "(ML;;NW;;;ME)");
        return s.toString();
    }

    @Setup
    public void setUp() {
        kernel = Kernel.boot(KernelConfig.defaults().withVerifier(false)).leakReportSink(s -> { });
        kernel.attach();
        arena = Arena.ofConfined();
        string = arena.allocate(2L * SDDL.length() + 2);
        for (int i = 0; i < SDDL.length(); i++) {
            string.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * i, (short) SDDL.charAt(i));
        }
        out = arena.allocate(8);
        size = arena.allocate(4);
        if (!Se.ConvertStringSecurityDescriptorToSecurityDescriptorW(string, 1, out, size)) {
            throw new IllegalStateException("the benchmark's SDDL does not parse: error " + Rtl.RtlGetLastWin32Error());
        }
        int length = size.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
        MemorySegment pool = MemorySegment.ofAddress(out.get(ValueLayout.JAVA_LONG_UNALIGNED, 0)).reinterpret(length);
        descriptor = arena.allocate(length).copyFrom(pool);
        Ex.ExFreePool(MemorySegment.ofAddress(pool.address()));
        byte[] offkern = descriptor.toArray(ValueLayout.JAVA_BYTE);
        heapDescriptor = HeapSddl.parse(SDDL);
        if (!Arrays.equals(offkern, heapDescriptor)) {
            throw new IllegalStateException("the heap peer's descriptor differs from offkern's");
        }
        String text = formatOffkern();
        if (!text.equals(HeapSddl.format(heapDescriptor)) || !text.equals(SDDL)) {
            throw new IllegalStateException("canonical forms differ:\n" + SDDL + "\n" + text + "\n" + HeapSddl.format(heapDescriptor));
        }
    }

    private String formatOffkern() {
        if (!Se.ConvertSecurityDescriptorToStringSecurityDescriptorW(descriptor, 1, 0xF, out, size)) {
            throw new IllegalStateException("format failed: error " + Rtl.RtlGetLastWin32Error());
        }
        int chars = size.get(ValueLayout.JAVA_INT_UNALIGNED, 0) - 1;
        MemorySegment s = MemorySegment.ofAddress(out.get(ValueLayout.JAVA_LONG_UNALIGNED, 0)).reinterpret(2L * chars);
        char[] c = new char[chars];
        for (int i = 0; i < chars; i++) {
            c[i] = (char) s.get(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * i);
        }
        Ex.ExFreePool(MemorySegment.ofAddress(s.address()));
        return new String(c);
    }

    @TearDown
    public void tearDown() {
        arena.close();
        kernel.close();
    }

    /** ConvertStringSecurityDescriptorToSecurityDescriptorW + ExFreePool. */
    @Benchmark
    public long parse() {
        Se.ConvertStringSecurityDescriptorToSecurityDescriptorW(string, 1, out, size);
        long address = out.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        Ex.ExFreePool(MemorySegment.ofAddress(address));
        return address;
    }

    /** ConvertSecurityDescriptorToStringSecurityDescriptorW + ExFreePool. */
    @Benchmark
    public long format() {
        Se.ConvertSecurityDescriptorToStringSecurityDescriptorW(descriptor, 1, 0xF, out, size);
        long address = out.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        Ex.ExFreePool(MemorySegment.ofAddress(address));
        return address;
    }

    /** The peer: String to a self-relative byte[] on the heap. */
    @Benchmark
    public byte[] heapParse() {
        return HeapSddl.parse(SDDL);
    }

    /** The peer: self-relative byte[] to a String on the heap. */
    @Benchmark
    public String heapFormat() {
        return HeapSddl.format(heapDescriptor);
    }
}
