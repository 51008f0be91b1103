package dev.offkern.tests.fuzz;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Ke;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.KBUGCHECK_CALLBACK_ROUTINE;
import dev.offkern.nt.KBUGCHECK_REASON_CALLBACK_ROUTINE;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.nt.PoolFlags;
import dev.offkern.tests.fuzz.World.Kind;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Bug checks and their callbacks: KeBugCheckEx with any code, callback records registered with
 * routines that write their buffer, throw, or call back into the kernel at HIGH_LEVEL; records
 * registered twice, deregistered when not registered, scribbled while registered (the bug check
 * then walks a corrupted list), hostile buffers, lengths and component strings.
 */
final class BugCheckOps {
    private BugCheckOps() {
    }

    static List<Op> ops() {
        return List.of(
                Op.of("bugcheck.raise", 1, BugCheckOps::raise, "KeBugCheckEx", "KeBugCheck"),
                Op.of("bugcheck.callback", 3, BugCheckOps::callback, "KeInitializeCallbackRecord",
                        "KeRegisterBugCheckCallback", "KeDeregisterBugCheckCallback"),
                Op.of("bugcheck.reasonCallback", 3, BugCheckOps::reasonCallback, "KeRegisterBugCheckReasonCallback", "KeDeregisterBugCheckReasonCallback"),
                Op.of("bugcheck.corruptRegistered", 1, BugCheckOps::corruptRegistered, "KeInitializeCallbackRecord",
                        "KeRegisterBugCheckCallback", "KeDeregisterBugCheckCallback", "KeBugCheckEx"),
                Op.of("bugcheck.hostileRecords", 2, BugCheckOps::hostileRecords, "KeInitializeCallbackRecord",
                        "KeRegisterBugCheckCallback", "KeDeregisterBugCheckCallback",
                        "KeRegisterBugCheckReasonCallback", "KeDeregisterBugCheckReasonCallback"));
    }

    /** Buffers a callback may write: the threads' scratch blocks (registered by the world's setup). */
    static final java.util.Set<Long> WRITABLE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** The callback routines (one object each, so one upcall stub each per kernel). */
    static final KBUGCHECK_CALLBACK_ROUTINE[] ROUTINES = {
        (buffer, length) -> { },
        (buffer, length) -> {
            if (!WRITABLE.contains(buffer.address())) {
                return; // a hostile Buffer: writing it would be the fuzzer's own wild write
            }
            for (long i = 0; i < Math.min(buffer.byteSize(), 32); i++) {
                buffer.set(JAVA_BYTE, i, (byte) 0xCB);
            }
        },
        (buffer, length) -> {
            throw new FuzzCallbackException("bug-check callback fails");
        },
        (buffer, length) -> {
            MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 64, World.TAG); // at HIGH_LEVEL
            if (!b.equals(MemorySegment.NULL)) {
                Ex.ExFreePoolWithTag(b, World.TAG);
            }
        },
        (buffer, length) -> Ke.KeGetCurrentIrql(),
    };

    static final KBUGCHECK_REASON_CALLBACK_ROUTINE[] REASON_ROUTINES = {
        (reason, record, data, length) -> { },
        (reason, record, data, length) -> {
            throw new FuzzCallbackException("reason callback fails");
        },
        (reason, record, data, length) -> {
            for (long i = 0; i < Math.min(data.byteSize(), 32); i++) {
                data.set(JAVA_BYTE, i, (byte) 0xFF);
            }
        },
        (reason, record, data, length) -> Ke.KeBugCheckEx(BugCheckCode.MANUALLY_INITIATED_CRASH, 1, 2, 3, 4),
    };

    static final int[] CODES = {BugCheckCode.MANUALLY_INITIATED_CRASH, BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA,
        BugCheckCode.BAD_POOL_CALLER, BugCheckCode.IRQL_NOT_LESS_OR_EQUAL, 0, -1, 0xDEADBEEF};

    static void raise(Ctx c) {
        int code = c.p(0.7) ? CODES[c.n(CODES.length)] : c.r.nextInt();
        c.note(String.format("KeBugCheckEx(0x%X)", code));
        try {
            if (c.p(0.5)) {
                Ke.KeBugCheckEx(code, c.r.nextLong(), c.pointerValue(), c.r.nextLong(), 0);
            } else {
                Ke.KeBugCheck(code);
            }
        } catch (BugCheck bc) {
            if (bc.code() != code) {
                throw new FuzzInvariantException(String.format("KeBugCheckEx(0x%X) raised 0x%X", code, bc.code()));
            }
            throw bc;
        } catch (KernelHaltedException halted) {
            throw halted;
        }
        throw new FuzzInvariantException("KeBugCheckEx returned");
    }

    /** A C string in this thread's scratch block, or a hostile pointer. */
    static MemorySegment component(Ctx c) {
        if (c.p(0.2)) {
            return c.hostile(null, 16, false);
        }
        MemorySegment s = c.own(Kind.BLOCK).asSlice(32, 16);
        byte[] name = "FuzzComp".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i < 16; i++) {
            s.set(JAVA_BYTE, i, i < name.length ? name[i] : (c.p(0.1) ? (byte) 'x' : 0)); // sometimes unterminated
        }
        return s;
    }

    static MemorySegment buffer(Ctx c) {
        return c.p(0.8) ? c.own(Kind.BLOCK).asSlice(0, 32) : c.hostile(null, 32, false);
    }

    static void callback(Ctx c) {
        MemorySegment rec = c.own(Kind.CALLBACK_RECORD);
        if (c.p(0.8)) {
            Ke.KeDeregisterBugCheckCallback(rec);
            Ke.KeInitializeCallbackRecord(rec);
        }
        MemorySegment buf = buffer(c);
        int length = c.p(0.8) ? (int) Math.min(32, buf == null ? 0 : buf.byteSize()) : c.anyInt();
        c.note("register " + Ctx.describe(rec) + " buffer " + Ctx.describe(buf) + " length " + length);
        Ke.KeRegisterBugCheckCallback(rec, ROUTINES[c.n(ROUTINES.length)], buf, length, component(c));
        if (c.p(0.3)) {
            Ke.KeRegisterBugCheckCallback(rec, ROUTINES[0], buf, length, component(c)); // twice: FALSE
        }
        if (c.p(0.4)) {
            Ke.KeDeregisterBugCheckCallback(rec);
        }
    }

    static void reasonCallback(Ctx c) {
        MemorySegment rec = c.own(Kind.REASON_CALLBACK_RECORD);
        if (c.p(0.8)) {
            Ke.KeDeregisterBugCheckReasonCallback(rec); // (a reason record needs no initialization call)
        }
        int reason = c.p(0.8) ? c.n(9) : c.anyInt();
        c.note("register reason " + reason + " " + Ctx.describe(rec));
        Ke.KeRegisterBugCheckReasonCallback(rec, REASON_ROUTINES[c.n(REASON_ROUTINES.length)], reason, component(c));
        if (c.p(0.4)) {
            Ke.KeDeregisterBugCheckReasonCallback(rec);
        }
    }

    static void corruptRegistered(Ctx c) {
        boolean reason = c.p(0.5);
        MemorySegment rec = c.own(reason ? Kind.REASON_CALLBACK_RECORD : Kind.CALLBACK_RECORD);
        if (reason) {
            Ke.KeDeregisterBugCheckReasonCallback(rec); // (a reason record needs no initialization call)
            Ke.KeRegisterBugCheckReasonCallback(rec, REASON_ROUTINES[0], c.n(9), component(c));
        } else {
            Ke.KeDeregisterBugCheckCallback(rec);
            Ke.KeInitializeCallbackRecord(rec);
            Ke.KeRegisterBugCheckCallback(rec, ROUTINES[0], MemorySegment.NULL, 0, component(c));
        }
        c.scribble(rec);
        switch (c.n(3)) {
            case 0 -> Ke.KeBugCheckEx(BugCheckCode.MANUALLY_INITIATED_CRASH, 0, 0, 0, 0);
            case 1 -> {
                if (reason) {
                    Ke.KeDeregisterBugCheckReasonCallback(rec);
                } else {
                    Ke.KeDeregisterBugCheckCallback(rec);
                }
            }
            default -> {
                MemorySegment other = c.own(reason ? Kind.CALLBACK_RECORD : Kind.REASON_CALLBACK_RECORD);
                if (reason) {
                    Ke.KeDeregisterBugCheckCallback(other);
                    Ke.KeInitializeCallbackRecord(other);
                    Ke.KeRegisterBugCheckCallback(other, ROUTINES[0], MemorySegment.NULL, 0, component(c));
                } else {
                    Ke.KeDeregisterBugCheckReasonCallback(other);
                    Ke.KeRegisterBugCheckReasonCallback(other, REASON_ROUTINES[0], 2, component(c));
                }
            }
        }
    }

    static void hostileRecords(Ctx c) {
        MemorySegment rec = c.hostile(Kind.CALLBACK_RECORD, 0x40, false);
        switch (c.n(6)) {
            case 0 -> Ke.KeInitializeCallbackRecord(rec);
            case 1 -> Ke.KeInitializeCallbackRecord(c.hostile(Kind.REASON_CALLBACK_RECORD, 0x30, false));
            case 2 -> Ke.KeRegisterBugCheckCallback(rec, ROUTINES[0], buffer(c), 16, component(c));
            case 3 -> Ke.KeDeregisterBugCheckCallback(rec);
            case 4 -> Ke.KeRegisterBugCheckReasonCallback(rec, REASON_ROUTINES[0], 2, component(c));
            default -> Ke.KeDeregisterBugCheckReasonCallback(rec);
        }
    }
}
