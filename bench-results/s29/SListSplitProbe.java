package dev.offkern.bench.probe;

import dev.offkern.ddi.Ex;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.ex.ExSList;
import dev.offkern.runtime.mm.AddressSpace;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

public final class SListSplitProbe {
    static final int OPS = ProbeCase.OPS;
    public static void main(String[] args) {
        String filter = args.length > 0 ? args[0] : "";
        try (Kernel kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withVerifier(false))) {
            kernel.attach();
            MemorySegment header = kernel.nonPagedPool().allocate(64, 64);
            MemorySegment entry = kernel.nonPagedPool().allocate(64, 64);
            Ex.InitializeSListHead(header);
            AddressSpace space = kernel.addressSpace();
            long h = header.address(), e = entry.address();
            List<ProbeCase> cases = new ArrayList<>();
            cases.add(new ProbeCase("A raw", () -> raw(space, h, e)));
            cases.add(new ProbeCase("B raw+current x2", () -> rawCurrent(h, e)));
            cases.add(new ProbeCase("C raw+resolve", () -> rawResolve(space, h, e)));
            cases.add(new ProbeCase("D raw+regionOf", () -> rawRegion(space, h, e)));
            cases.add(new ProbeCase("F raw+current+resolve", () -> rawCurrentResolve(h, e)));
            cases.add(new ProbeCase("G segs+resolve", () -> segsResolve(space, header, entry)));
            SPACE = space;
            cases.add(new ProbeCase("H staticSpace+resolve", () -> staticSpace(h, e)));
            cases.add(new ProbeCase("I staticSpace+segs+resolve", () -> staticSpaceSegs(header, entry)));
            cases.add(new ProbeCase("E DDI", () -> ddi(header, entry)));
            ProbeCase.runAll(cases, filter);
        }
    }
    static long raw(AddressSpace space, long h, long e) {
        long s = 0;
        for (int i = 0; i < OPS; i++) { ExSList.push(space, h, e); s += ExSList.pop(space, h); }
        return s;
    }
    static long rawCurrent(long h, long e) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            ExSList.push(Kernel.current().addressSpace(), h, e);
            s += ExSList.pop(Kernel.current().addressSpace(), h);
        }
        return s;
    }
    static long rawResolve(AddressSpace space, long h, long e) {
        long s = 0;
        for (int i = 0; i < OPS; i++) { ExSList.push(space, h, e); long p = ExSList.pop(space, h); s += p == 0 ? 0 : space.resolve(p, 16).address(); }
        return s;
    }
    static long rawRegion(AddressSpace space, long h, long e) {
        long s = 0;
        for (int i = 0; i < OPS; i++) { ExSList.push(space, h, e); long p = ExSList.pop(space, h); s += p == 0 ? 0 : space.regionOf(p, 16).base(); }
        return s;
    }
    static long rawCurrentResolve(long h, long e) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            ExSList.push(Kernel.current().addressSpace(), h, e);
            AddressSpace space = Kernel.current().addressSpace();
            long p = ExSList.pop(space, h); s += p == 0 ? 0 : space.resolve(p, 16).address();
        }
        return s;
    }
    static long segsResolve(AddressSpace space, MemorySegment header, MemorySegment entry) {
        long s = 0;
        for (int i = 0; i < OPS; i++) { ExSList.push(space, header.address(), entry.address()); long p = ExSList.pop(space, header.address()); s += p == 0 ? 0 : space.resolve(p, 16).address(); }
        return s;
    }
    static volatile AddressSpace SPACE;
    static long staticSpace(long h, long e) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            ExSList.push(SPACE, h, e);
            AddressSpace space = SPACE;
            long p = ExSList.pop(space, h); s += p == 0 ? 0 : space.resolve(p, 16).address();
        }
        return s;
    }
    static long staticSpaceSegs(MemorySegment header, MemorySegment entry) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            ExSList.push(SPACE, header.address(), entry.address());
            AddressSpace space = SPACE;
            long p = ExSList.pop(space, header.address()); s += p == 0 ? 0 : space.resolve(p, 16).address();
        }
        return s;
    }
    static long ddi(MemorySegment header, MemorySegment entry) {
        long s = 0;
        for (int i = 0; i < OPS; i++) { Ex.InterlockedPushEntrySList(header, entry); s += Ex.InterlockedPopEntrySList(header).address(); }
        return s;
    }
}
