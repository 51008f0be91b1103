package dev.offkern.tests.fuzz;

import dev.offkern.ddi.Ex;
import dev.offkern.nt.PoolType;
import dev.offkern.tests.fuzz.World.Kind;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Run-down protection, plain and cache-aware: balanced acquire/release on shared references from
 * both threads; misuse (releases without acquires, counts that overflow, re-initialization while
 * held, completion without a wait) on private ones, which are re-initialized after the step; waits
 * that a partner thread ends by releasing; allocation and free of cache-aware structures with
 * hostile pool types, sizes and pointers.
 */
final class RundownOps {
    private RundownOps() {
    }

    static List<Op> ops() {
        return List.of(
                Op.of("rundown.acquireRelease", 6, RundownOps::acquireRelease, "ExAcquireRundownProtection",
                        "ExAcquireRundownProtectionEx", "ExReleaseRundownProtection", "ExReleaseRundownProtectionEx"),
                Op.of("rundown.misuse", 2, RundownOps::misuse, "ExInitializeRundownProtection",
                        "ExReInitializeRundownProtection", "ExAcquireRundownProtectionEx", "ExReleaseRundownProtection",
                        "ExReleaseRundownProtectionEx", "ExRundownCompleted", "ExWaitForRundownProtectionRelease"),
                Op.of("rundown.waitWithPartner", 1, RundownOps::waitWithPartner, "ExInitializeRundownProtection",
                        "ExAcquireRundownProtection", "ExWaitForRundownProtectionRelease", "ExReleaseRundownProtection",
                        "ExRundownCompleted", "ExReInitializeRundownProtection"),
                Op.of("rundown.cacheAware", 5, RundownOps::cacheAware, "ExAcquireRundownProtectionCacheAware",
                        "ExAcquireRundownProtectionCacheAwareEx", "ExReleaseRundownProtectionCacheAware",
                        "ExReleaseRundownProtectionCacheAwareEx", "ExSizeOfRundownProtectionCacheAware"),
                Op.of("rundown.cacheAwareMisuse", 2, RundownOps::cacheAwareMisuse, "ExInitializeRundownProtectionCacheAware",
                        "ExReInitializeRundownProtectionCacheAware", "ExRundownCompletedCacheAware",
                        "ExWaitForRundownProtectionReleaseCacheAware", "ExReleaseRundownProtectionCacheAware",
                        "ExReleaseRundownProtectionCacheAwareEx", "ExAcquireRundownProtectionCacheAwareEx"),
                Op.of("rundown.cacheAwareAllocate", 2, RundownOps::cacheAwareAllocate, "ExAllocateCacheAwareRundownProtection",
                        "ExFreeCacheAwareRundownProtection", "ExAcquireRundownProtectionCacheAware",
                        "ExReleaseRundownProtectionCacheAware", "ExWaitForRundownProtectionReleaseCacheAware"));
    }

    static int count(Ctx c) {
        return c.p(0.8) ? 1 + c.n(4) : c.anyInt();
    }

    static void acquireRelease(Ctx c) {
        MemorySegment ref = c.arg(Kind.RUNDOWN, 8, 0.1);
        c.note("ref " + Ctx.describe(ref));
        if (c.p(0.5)) {
            if (Ex.ExAcquireRundownProtection(ref)) {
                Ex.ExReleaseRundownProtection(ref);
            }
        } else {
            int n = c.p(0.9) ? 1 + c.n(4) : c.anyInt();
            c.note("count " + n);
            if (Ex.ExAcquireRundownProtectionEx(ref, n)) {
                Ex.ExReleaseRundownProtectionEx(ref, n);
            }
        }
    }

    static void misuse(Ctx c) {
        MemorySegment ref = c.own(Kind.RUNDOWN);
        c.after.add(x -> Ex.ExInitializeRundownProtection(ref));
        MemorySegment arg = c.p(0.8) ? ref : c.hostile(Kind.RUNDOWN, 8, false);
        c.note("misuse " + Ctx.describe(arg));
        switch (c.n(7)) {
            case 0 -> Ex.ExReleaseRundownProtection(arg);
            case 1 -> Ex.ExReleaseRundownProtectionEx(arg, count(c));
            case 2 -> {
                Ex.ExAcquireRundownProtectionEx(arg, Integer.MAX_VALUE);
                Ex.ExAcquireRundownProtectionEx(arg, -1);
                Ex.ExAcquireRundownProtectionEx(arg, -1);
            }
            case 3 -> {
                Ex.ExAcquireRundownProtection(arg);
                Ex.ExReInitializeRundownProtection(arg);
            }
            case 4 -> {
                Ex.ExRundownCompleted(arg);
                Ex.ExAcquireRundownProtection(arg);
                Ex.ExReleaseRundownProtection(arg);
            }
            case 5 -> Ex.ExInitializeRundownProtection(arg);
            default -> {
                // A wait on a reference nobody holds returns at once; hostile pointers must be refused before any wait.
                Ex.ExInitializeRundownProtection(ref);
                MemorySegment w = c.blockingArg(ref, Kind.RUNDOWN, 8, 0.3);
                Ex.ExWaitForRundownProtectionRelease(w);
                Ex.ExWaitForRundownProtectionRelease(w); // a second wait on a run-down reference
            }
        }
    }

    /** Another thread holds protection; this one waits; the partner releases after a moment. */
    static void waitWithPartner(Ctx c) throws Throwable {
        MemorySegment ref = c.own(Kind.RUNDOWN);
        c.after.add(x -> Ex.ExInitializeRundownProtection(ref));
        Ex.ExInitializeRundownProtection(ref);
        int holders = 1 + c.n(3);
        if (!Ex.ExAcquireRundownProtectionEx(ref, holders)) {
            throw new FuzzInvariantException("ExAcquireRundownProtectionEx failed on a fresh reference");
        }
        Partner p = Partner.start(c, 1 + c.n(4), () -> Ex.ExReleaseRundownProtectionEx(ref, holders));
        try {
            Ex.ExWaitForRundownProtectionRelease(ref);
        } finally {
            p.join();
        }
        if (Ex.ExAcquireRundownProtection(ref)) {
            throw new FuzzInvariantException("ExAcquireRundownProtection succeeded after the run-down");
        }
        Ex.ExRundownCompleted(ref);
        Ex.ExReInitializeRundownProtection(ref);
        if (!Ex.ExAcquireRundownProtection(ref)) {
            throw new FuzzInvariantException("ExAcquireRundownProtection failed after ExReInitializeRundownProtection");
        }
        Ex.ExReleaseRundownProtection(ref);
    }

    static void cacheAware(Ctx c) {
        MemorySegment ref = c.arg(Kind.RUNDOWN_CACHE_AWARE, 0x100, 0.1);
        c.note("cache-aware " + Ctx.describe(ref));
        long size = Ex.ExSizeOfRundownProtectionCacheAware();
        if (size <= 0) {
            throw new FuzzInvariantException("ExSizeOfRundownProtectionCacheAware returned " + size);
        }
        if (c.p(0.5)) {
            if (Ex.ExAcquireRundownProtectionCacheAware(ref)) {
                Ex.ExReleaseRundownProtectionCacheAware(ref);
            }
        } else {
            int n = c.p(0.9) ? 1 + c.n(4) : c.anyInt();
            c.note("count " + n);
            if (Ex.ExAcquireRundownProtectionCacheAwareEx(ref, n)) {
                Ex.ExReleaseRundownProtectionCacheAwareEx(ref, n);
            }
        }
    }

    static void cacheAwareMisuse(Ctx c) throws Throwable {
        MemorySegment ref = c.own(Kind.RUNDOWN_CACHE_AWARE);
        long size = Ex.ExSizeOfRundownProtectionCacheAware();
        c.after.add(x -> Ex.ExInitializeRundownProtectionCacheAware(ref, size));
        switch (c.n(6)) {
            case 0 -> {
                long s = switch (c.n(5)) {
                    case 0 -> 0;
                    case 1 -> size * 64;
                    case 2 -> Long.MAX_VALUE;
                    case 3 -> -1;
                    default -> size / 2;
                };
                MemorySegment arg = c.p(0.7) ? ref : c.hostile(Kind.RUNDOWN_CACHE_AWARE, size, false);
                c.note("ExInitializeRundownProtectionCacheAware(" + Ctx.describe(arg) + ", " + s + ")");
                Ex.ExInitializeRundownProtectionCacheAware(arg, s);
            }
            case 1 -> Ex.ExReleaseRundownProtectionCacheAware(ref);
            case 2 -> Ex.ExReleaseRundownProtectionCacheAwareEx(ref, count(c));
            case 3 -> {
                Ex.ExRundownCompletedCacheAware(ref);
                Ex.ExAcquireRundownProtectionCacheAwareEx(ref, 2);
                Ex.ExReInitializeRundownProtectionCacheAware(ref);
            }
            case 4 -> {
                Ex.ExInitializeRundownProtectionCacheAware(ref, size);
                int holders = 1 + c.n(3);
                if (Ex.ExAcquireRundownProtectionCacheAwareEx(ref, holders)) {
                    Partner p = Partner.start(c, 1 + c.n(4), () -> Ex.ExReleaseRundownProtectionCacheAwareEx(ref, holders));
                    try {
                        Ex.ExWaitForRundownProtectionReleaseCacheAware(ref);
                    } finally {
                        p.join();
                    }
                }
            }
            default -> {
                Ex.ExInitializeRundownProtectionCacheAware(ref, size);
                MemorySegment w = c.blockingArg(ref, Kind.RUNDOWN_CACHE_AWARE, size, 0.5);
                c.note("wait " + Ctx.describe(w));
                Ex.ExWaitForRundownProtectionReleaseCacheAware(w);
            }
        }
    }

    static void cacheAwareAllocate(Ctx c) throws Throwable {
        int type = c.p(0.8) ? PoolType.NonPagedPool : PoolOps.anyPoolType(c);
        int tag = c.p(0.8) ? World.TAG : PoolOps.anyTag(c);
        c.note("ExAllocateCacheAwareRundownProtection(" + type + ", 0x" + Integer.toHexString(tag) + ")");
        MemorySegment ref = Ex.ExAllocateCacheAwareRundownProtection(type, tag);
        if (ref.equals(MemorySegment.NULL)) {
            return;
        }
        if (Ex.ExAcquireRundownProtectionCacheAware(ref)) {
            Ex.ExReleaseRundownProtectionCacheAware(ref);
        }
        if (c.p(0.5)) {
            Ex.ExWaitForRundownProtectionReleaseCacheAware(ref);
        }
        Ex.ExFreeCacheAwareRundownProtection(ref);
        c.bury(ref);
        if (c.p(0.3)) {
            MemorySegment bad = c.p(0.5) ? ref : c.p(0.5) ? c.own(Kind.RUNDOWN_CACHE_AWARE) : c.forFree(64);
            c.note("ExFreeCacheAwareRundownProtection(" + Ctx.describe(bad) + ")");
            Ex.ExFreeCacheAwareRundownProtection(bad); // twice, a caller-owned one, or a hostile pointer
        }
    }
}
