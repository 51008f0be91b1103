package dev.offkern.tests.fuzz;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.offkern.ddi.Rtl;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.RunOnceFlags;
import dev.offkern.nt.RunOnceInitFunction;
import dev.offkern.tests.fuzz.World.Kind;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * RTL_RUN_ONCE: both threads run RtlRunOnceExecuteOnce on the shared objects at once (init
 * functions that succeed, fail or store contexts with reserved bits); private objects go through
 * begin/complete in every order and flag combination and are re-initialized after the step. A
 * synchronous begin that would wait is only made where the wait must end (the shared objects'
 * init functions never throw) or refuse at once (hostile pointers).
 */
final class RunOnceOps {
    private RunOnceOps() {
    }

    static List<Op> ops() {
        return List.of(
                Op.of("runOnce.executeOnce", 4, RunOnceOps::executeOnce, "RtlRunOnceExecuteOnce"),
                Op.of("runOnce.beginComplete", 4, RunOnceOps::beginComplete, "RtlRunOnceInitialize",
                        "RtlRunOnceBeginInitialize", "RtlRunOnceComplete"),
                Op.of("runOnce.privateExecute", 2, RunOnceOps::privateExecute, "RtlRunOnceInitialize",
                        "RtlRunOnceExecuteOnce", "RtlRunOnceBeginInitialize"),
                Op.of("runOnce.hostile", 2, RunOnceOps::hostile, "RtlRunOnceInitialize", "RtlRunOnceBeginInitialize",
                        "RtlRunOnceComplete", "RtlRunOnceExecuteOnce"));
    }

    /** Init functions that never throw (safe on shared objects: nobody can be left waiting). */
    static final RunOnceInitFunction[] SAFE = {
        (ro, p, ctx) -> true,
        (ro, p, ctx) -> false,
        (ro, p, ctx) -> {
            if (!ctx.equals(MemorySegment.NULL) && ctx.byteSize() >= 8) {
                ctx.set(JAVA_LONG_UNALIGNED, 0, 0x1230L); // Context may be any address (a PVOID *): the fuzzer's own write must not assume alignment
            }
            return true;
        },
    };

    /**
     * Stores a context with the reserved low bits set: the completion then fails and the object
     * stays "in progress" (as on Windows), so only private objects get it.
     */
    static final RunOnceInitFunction RESERVED_BITS = (ro, p, ctx) -> {
        if (!ctx.equals(MemorySegment.NULL) && ctx.byteSize() >= 8) {
            ctx.set(JAVA_LONG_UNALIGNED, 0, 0x1233L);
        }
        return true;
    };

    static final RunOnceInitFunction THROWS = (ro, p, ctx) -> {
        throw new FuzzCallbackException("init function fails");
    };

    static MemorySegment context(Ctx c) {
        return c.p(0.8) ? c.own(Kind.BLOCK).asSlice(128, 8) : c.p(0.5) ? MemorySegment.NULL : c.hostile(null, 8, false);
    }

    static void executeOnce(Ctx c) {
        MemorySegment ro = c.shared(Kind.RUN_ONCE);
        c.note("ExecuteOnce " + Ctx.describe(ro));
        // A valid context only: a call that fails on a bad one may leave a shared object "in
        // progress" and the other thread waiting for ever (privateExecute checks for that).
        MemorySegment ctx = c.p(0.8) ? c.own(Kind.BLOCK).asSlice(128, 8) : MemorySegment.NULL;
        int st = Rtl.RtlRunOnceExecuteOnce(ro, SAFE[c.n(SAFE.length)], MemorySegment.NULL, ctx);
        check(st);
    }

    static void check(int st) {
        if (st != NtStatus.STATUS_SUCCESS && st != NtStatus.STATUS_PENDING && st != NtStatus.STATUS_UNSUCCESSFUL
                && st != NtStatus.STATUS_INVALID_PARAMETER && st >= 0) {
            throw new FuzzInvariantException("run-once routine returned 0x" + Integer.toHexString(st));
        }
    }

    static int flags(Ctx c) {
        return switch (c.n(8)) {
            case 0 -> RunOnceFlags.RTL_RUN_ONCE_ASYNC;
            case 1 -> RunOnceFlags.RTL_RUN_ONCE_CHECK_ONLY;
            case 2 -> RunOnceFlags.RTL_RUN_ONCE_INIT_FAILED;
            case 3 -> RunOnceFlags.RTL_RUN_ONCE_ASYNC | RunOnceFlags.RTL_RUN_ONCE_CHECK_ONLY;
            case 4 -> c.anyInt();
            case 5 -> RunOnceFlags.RTL_RUN_ONCE_ASYNC | RunOnceFlags.RTL_RUN_ONCE_INIT_FAILED;
            default -> 0;
        };
    }

    /** Begin/complete on a private object, never a second synchronous begin while one is pending (that waits for ever, as on Windows). */
    static void beginComplete(Ctx c) {
        MemorySegment ro = c.own(Kind.RUN_ONCE);
        c.after.add(x -> Rtl.RtlRunOnceInitialize(ro));
        Rtl.RtlRunOnceInitialize(ro);
        boolean pendingSync = false;
        for (int i = 0; i < 1 + c.n(4); i++) {
            if (c.p(0.5)) {
                int f = flags(c);
                if (pendingSync && (f & (RunOnceFlags.RTL_RUN_ONCE_CHECK_ONLY | RunOnceFlags.RTL_RUN_ONCE_ASYNC)) == 0) {
                    f = RunOnceFlags.RTL_RUN_ONCE_CHECK_ONLY;
                }
                c.note("begin 0x" + Integer.toHexString(f));
                int st = Rtl.RtlRunOnceBeginInitialize(ro, f, context(c));
                check(st);
                if (st == NtStatus.STATUS_PENDING && (f & RunOnceFlags.RTL_RUN_ONCE_ASYNC) == 0) {
                    pendingSync = true;
                }
            } else {
                int f = flags(c);
                long ctx = c.p(0.7) ? 0x4440L : c.r.nextLong();
                c.note("complete 0x" + Integer.toHexString(f) + " ctx 0x" + Long.toHexString(ctx));
                int st = Rtl.RtlRunOnceComplete(ro, f, MemorySegment.ofAddress(ctx));
                check(st);
                if (st == NtStatus.STATUS_SUCCESS) {
                    pendingSync = false;
                }
            }
        }
    }

    static void privateExecute(Ctx c) {
        MemorySegment ro = c.own(Kind.RUN_ONCE);
        c.after.add(x -> Rtl.RtlRunOnceInitialize(ro));
        Rtl.RtlRunOnceInitialize(ro);
        RunOnceInitFunction fn = c.p(0.2) ? THROWS : c.p(0.2) ? RESERVED_BITS : SAFE[c.n(SAFE.length)];
        c.note("private ExecuteOnce " + (fn == THROWS ? "throwing" : fn == RESERVED_BITS ? "reserved bits" : "safe"));
        MemorySegment ctx = context(c);
        c.note("context " + Ctx.describe(ctx));
        try {
            check(Rtl.RtlRunOnceExecuteOnce(ro, fn, MemorySegment.NULL, ctx));
        } catch (RuntimeException failed) {
            if (fn != THROWS && fn != RESERVED_BITS) {
                // A call refused for a bad argument must not leave the object "in progress": a
                // second, asynchronous begin would then be refused (and a synchronous one would wait for ever).
                int st = Rtl.RtlRunOnceBeginInitialize(ro, RunOnceFlags.RTL_RUN_ONCE_ASYNC, MemorySegment.NULL);
                if (st == NtStatus.STATUS_INVALID_PARAMETER) {
                    throw new FuzzInvariantException("RtlRunOnceExecuteOnce failed (" + failed.getClass().getSimpleName()
                            + ") but left the RTL_RUN_ONCE in progress: every later synchronous caller waits for ever");
                }
            }
            throw failed;
        } finally {
            if (fn == THROWS || fn == RESERVED_BITS) {
                // The object may be left "in progress" by the exception: only a check is safe now.
                Rtl.RtlRunOnceBeginInitialize(ro, RunOnceFlags.RTL_RUN_ONCE_CHECK_ONLY, MemorySegment.NULL);
            }
        }
    }

    static void hostile(Ctx c) {
        MemorySegment ro = c.own(Kind.RUN_ONCE);
        c.after.add(x -> Rtl.RtlRunOnceInitialize(ro));
        MemorySegment bad = c.blockingArg(ro, Kind.RUN_ONCE, 8, 1.0);
        c.note("hostile run-once " + Ctx.describe(bad));
        switch (c.n(4)) {
            case 0 -> Rtl.RtlRunOnceInitialize(c.hostile(Kind.RUN_ONCE, 8, false));
            case 1 -> Rtl.RtlRunOnceBeginInitialize(bad, flags(c), context(c));
            case 2 -> Rtl.RtlRunOnceComplete(c.hostile(Kind.RUN_ONCE, 8, false), flags(c), MemorySegment.NULL);
            default -> Rtl.RtlRunOnceExecuteOnce(bad, SAFE[0], MemorySegment.NULL, context(c));
        }
    }
}
