package dev.offkern.tests.fuzz;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Ob;
import dev.offkern.ddi.Ps;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Processes and threads: each thread reads its own ETHREAD and process (ids, create time, the
 * system-thread flag) and looks up its own, the System process's and arbitrary ids, dereferencing
 * every object a lookup returned before the step ends. Hostile steps pass ids nobody holds, objects
 * of the wrong kind, and pointers that are no object (unmapped, or a fuzz block whose TypeIndex byte
 * names no type): a status, an IllegalArgumentException, or REFERENCE_BY_POINTER / 0x50.
 */
final class ProcessOps {
    private ProcessOps() {
    }

    static List<Op> ops() {
        return List.of(
                Op.of("ps.identity", 4, ProcessOps::identity, "PsGetCurrentThread", "PsGetCurrentProcess", "PsGetCurrentThreadId",
                        "PsGetCurrentProcessId", "PsGetThreadId", "PsGetProcessId", "PsGetProcessCreateTimeQuadPart", "PsIsSystemThread",
                        "PsInitialSystemProcess", "PsLookupProcessByProcessId", "PsLookupThreadByThreadId", "ObDereferenceObject"),
                Op.of("ps.hostile", 2, ProcessOps::hostile, "PsLookupProcessByProcessId", "PsLookupThreadByThreadId", "PsGetProcessId",
                        "PsGetThreadId", "PsGetProcessCreateTimeQuadPart", "PsIsSystemThread", "ObDereferenceObject"));
    }

    private static MemorySegment scratch(Ctx c) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 256, World.TAG);
        if (b.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("fuzzer: no pool for a scratch block");
        }
        c.after.add(x -> Ex.ExFreePool(b));
        return b;
    }

    /** Any id: own thread's, the System process's, a small multiple of 4, or garbage. */
    private static long anyId(Ctx c) {
        return switch (c.n(6)) {
            case 0 -> Ps.PsGetCurrentThreadId();
            case 1 -> Ps.PsGetCurrentProcessId();
            case 2 -> 4L * c.n(64);
            case 3 -> c.anyInt() & 0xFFFFFFFFL;
            case 4 -> c.r.nextLong();
            default -> 4L * c.n(64) + 1 + c.n(3);
        };
    }

    static void identity(Ctx c) {
        MemorySegment b = scratch(c);
        MemorySegment me = Ps.PsGetCurrentThread();
        long tid = Ps.PsGetCurrentThreadId();
        if (Ps.PsGetThreadId(me) != tid || tid % 4 != 0) {
            throw new FuzzInvariantException("PsGetThreadId(PsGetCurrentThread()) is " + Ps.PsGetThreadId(me) + ", PsGetCurrentThreadId " + tid);
        }
        MemorySegment process = Ps.PsGetCurrentProcess();
        if (Ps.PsGetProcessId(process) != Ps.PsGetCurrentProcessId() || !process.equals(Ps.PsInitialSystemProcess())) {
            throw new FuzzInvariantException("the current process is not the System process with id PsGetCurrentProcessId");
        }
        Ps.PsGetProcessCreateTimeQuadPart(process);
        Ps.PsIsSystemThread(me);
        for (int i = 0; i < 1 + c.n(4); i++) {
            long id = anyId(c);
            c.note("lookup " + id);
            boolean asThread = c.p(0.5);
            int st = asThread ? Ps.PsLookupThreadByThreadId(id, b.asSlice(0, 8)) : Ps.PsLookupProcessByProcessId(id, b.asSlice(0, 8));
            if (st == NtStatus.STATUS_SUCCESS) {
                MemorySegment o = MemorySegment.ofAddress(b.get(JAVA_LONG, 0));
                long back = asThread ? Ps.PsGetThreadId(o) : Ps.PsGetProcessId(o);
                Ob.ObDereferenceObject(o);
                if (back != id) {
                    throw new FuzzInvariantException("lookup of id " + id + " returned an object whose id is " + back);
                }
            } else if (st != NtStatus.STATUS_INVALID_CID && st != NtStatus.STATUS_INVALID_PARAMETER) {
                throw new FuzzInvariantException("lookup of id " + id + " returned 0x" + Integer.toHexString(st));
            }
        }
    }

    static void hostile(Ctx c) {
        MemorySegment b = scratch(c);
        MemorySegment p;
        switch (c.n(3)) {
            case 0 -> p = MemorySegment.ofAddress(c.unmappedAddress());
            case 1 -> {
                b.asSlice(128, 0x40).fill((byte) c.n(2));
                p = MemorySegment.ofAddress(b.address() + 128 + 0x30);
            }
            default -> p = c.p(0.5) ? Ps.PsGetCurrentThread() : Ps.PsInitialSystemProcess(); // right or wrong kind
        }
        c.note("hostile object 0x" + Long.toHexString(p.address()));
        switch (c.n(5)) {
            case 0 -> Ps.PsGetProcessId(p);
            case 1 -> Ps.PsGetThreadId(p);
            case 2 -> Ps.PsGetProcessCreateTimeQuadPart(p);
            case 3 -> Ps.PsIsSystemThread(p);
            default -> {
                int st = c.p(0.5) ? Ps.PsLookupThreadByThreadId(anyId(c), b.asSlice(0, 8))
                        : Ps.PsLookupProcessByProcessId(anyId(c), b.asSlice(0, 8));
                if (st == NtStatus.STATUS_SUCCESS) {
                    Ob.ObDereferenceObject(MemorySegment.ofAddress(b.get(JAVA_LONG, 0)));
                }
            }
        }
    }
}
