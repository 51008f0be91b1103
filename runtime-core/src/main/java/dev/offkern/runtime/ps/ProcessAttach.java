package dev.offkern.runtime.ps;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.offkern.layout.ke.KAPC_STATE;
import dev.offkern.layout.ps.ETHREAD;
import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Process attachment: {@code KeStackAttachProcess} and {@code KeUnstackDetachProcess}. A thread
 * attached to a process runs "in" it: PsGetCurrentProcess returns it, NtCurrentProcess() names it,
 * and handles that are not kernel handles resolve in its handle table (ObReferenceObjectByHandle,
 * ZwClose, ZwCreateEvent's new handle, ...). PsGetCurrentProcessId stays the id of the thread's own
 * process, as on Windows.
 *
 * <h2>State (byte-exact, as Windows keeps it)</h2>
 * The thread's ETHREAD holds {@code Tcb.ApcState} (its current APC environment; {@code Process} is
 * the process it runs in), {@code Tcb.ApcStateIndex} (0 OriginalApcEnvironment, 1
 * AttachedApcEnvironment) and {@code Tcb.SavedApcState}. The first attach moves ApcState into
 * SavedApcState, points ApcState.Process at the target and stores NULL in the caller's
 * {@code KAPC_STATE.Process}; a nested attach moves ApcState into the caller's buffer instead (its
 * Process: the process being left); an attach to the process the thread already runs in stores 1
 * there and changes nothing. KeUnstackDetachProcess undoes the latest attach from the buffer it is
 * given: 1 returns at once, a Process restores the buffer's state, NULL restores SavedApcState and
 * index 0. Moving a state re-initialises its two APC queue heads empty at the new place (offkern
 * queues no APCs to them).
 *
 * <h2>Misuse (the documented bug checks)</h2>
 * <ul>
 *   <li>Attaching inside a DPC routine: INVALID_PROCESS_ATTACH_ATTEMPT (0x5: the target, the process
 *       the thread runs in, ApcStateIndex, 1 = a DPC is active), as Windows checks always.</li>
 *   <li>A system thread that ends while attached: 0x5 (its own process, the attached process,
 *       ApcStateIndex, the ETHREAD), as PspExitThread checks.</li>
 *   <li>Detaching a thread that is not attached, or with a buffer that is not the latest attach's, or
 *       one whose Process field was changed since: INVALID_PROCESS_DETACH_ATTEMPT (0x6). Windows
 *       raises it without parameters for the first; offkern also catches the others (Windows would
 *       restore a wrong state) and gives P1 the ApcState buffer, P2 the process the thread runs in,
 *       P3 ApcStateIndex, P4 the buffer the latest attach used (0 if none).</li>
 *   <li>NULL Process or ApcState, or a Process that is no process object: IllegalArgumentException
 *       (REFERENCE_BY_POINTER 0x18 for an address that is no live object).</li>
 * </ul>
 *
 * <p>Progress: wait-free (the caller's own state only, plus one lookup of the process record).
 * IRQL: ≤ DISPATCH_LEVEL (verifier). Windows does not reference the target: the caller keeps it alive
 * across the attachment. If a tenant ends while a thread is attached to it, its handle table is run
 * down and the thread's handle operations there fail (STATUS_INVALID_HANDLE /
 * STATUS_PROCESS_IS_TERMINATING) until it detaches.
 */
public final class ProcessAttach {
    /** KAPC_ENVIRONMENT OriginalApcEnvironment: ApcStateIndex of a thread in its own process. */
    public static final int ORIGINAL_APC_ENVIRONMENT = 0;
    /** KAPC_ENVIRONMENT AttachedApcEnvironment: ApcStateIndex of an attached thread. */
    public static final int ATTACHED_APC_ENVIRONMENT = 1;

    private static final long STATE_SIZE = KAPC_STATE.X64.size();

    private ProcessAttach() {
    }

    /** {@code KeStackAttachProcess(Process, ApcState)}. */
    public static void attach(ProcessManager pm, MemorySegment process, MemorySegment apcState) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, "KeStackAttachProcess");
        }
        PsThread t = pm.current();
        PsProcess target = pm.processRecord(process, "KeStackAttachProcess");
        if (apcState == null || apcState.address() == 0) {
            throw new IllegalArgumentException("KeStackAttachProcess: ApcState is NULL");
        }
        MemorySegment buffer = bounded(pm, apcState);
        MemorySegment e = t.ethread;
        int index = Byte.toUnsignedInt(e.get(JAVA_BYTE, ETHREAD.TCB_APC_STATE_INDEX_OFFSET));
        if (ThreadState.current().inDpcRoutine()) {
            throw pm.core.bugCheck(BugCheckCode.INVALID_PROCESS_ATTACH_ATTEMPT, target.address(), t.current.address(), index, 1,
                    "KeStackAttachProcess inside a DPC routine");
        }
        if (t.current == target) {
            buffer.set(JAVA_LONG_UNALIGNED, KAPC_STATE.PROCESS_OFFSET, KAPC_STATE.PROCESS_SAME); // nothing to undo
            return;
        }
        if (index == ORIGINAL_APC_ENVIRONMENT) {
            move(e, ETHREAD.TCB_APC_STATE_OFFSET, e, ETHREAD.TCB_SAVED_APC_STATE_OFFSET);
            e.set(JAVA_BYTE, ETHREAD.TCB_APC_STATE_INDEX_OFFSET, (byte) ATTACHED_APC_ENVIRONMENT);
            buffer.set(JAVA_LONG_UNALIGNED, KAPC_STATE.PROCESS_OFFSET, 0L);
        } else {
            move(e, ETHREAD.TCB_APC_STATE_OFFSET, buffer, 0); // the buffer's Process: the process being left
        }
        e.set(JAVA_LONG, ETHREAD.TCB_APC_STATE_OFFSET + KAPC_STATE.PROCESS_OFFSET, target.address());
        push(t, apcState.address());
        t.current = target;
        pm.ob.attach(target.handles);
    }

    /** {@code KeUnstackDetachProcess(ApcState)}. */
    public static void detach(ProcessManager pm, MemorySegment apcState) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, "KeUnstackDetachProcess");
        }
        if (apcState == null || apcState.address() == 0) {
            throw new IllegalArgumentException("KeUnstackDetachProcess: ApcState is NULL");
        }
        PsThread t = pm.current();
        MemorySegment buffer = bounded(pm, apcState);
        long saved = buffer.get(JAVA_LONG_UNALIGNED, KAPC_STATE.PROCESS_OFFSET);
        if (saved == KAPC_STATE.PROCESS_SAME) {
            return; // the attach found the thread in the target already
        }
        MemorySegment e = t.ethread;
        int index = Byte.toUnsignedInt(e.get(JAVA_BYTE, ETHREAD.TCB_APC_STATE_INDEX_OFFSET));
        long latest = t.attachDepth == 0 ? 0 : t.attachBuffers[t.attachDepth - 1];
        if (index == ORIGINAL_APC_ENVIRONMENT || t.attachDepth == 0) {
            throw pm.core.bugCheck(BugCheckCode.INVALID_PROCESS_DETACH_ATTEMPT, apcState.address(), t.current.address(), index, 0,
                    "KeUnstackDetachProcess of a thread that is not attached to a process");
        }
        PsProcess previous = t.attachPrevious[t.attachDepth - 1];
        boolean outermost = t.attachDepth == 1;
        long expected = outermost ? 0 : previous.address();
        if (latest != apcState.address() || saved != expected) {
            throw pm.core.bugCheck(BugCheckCode.INVALID_PROCESS_DETACH_ATTEMPT, apcState.address(), t.current.address(), index, latest,
                    latest != apcState.address()
                            ? "KeUnstackDetachProcess with 0x" + Long.toHexString(apcState.address()) + ", not the ApcState of the latest attach (0x"
                                    + Long.toHexString(latest) + "): attachments must be undone in reverse order"
                            : "KeUnstackDetachProcess: ApcState.Process is 0x" + Long.toHexString(saved) + ", not the 0x"
                                    + Long.toHexString(expected) + " KeStackAttachProcess stored (the buffer was changed)");
        }
        if (outermost) {
            move(e, ETHREAD.TCB_SAVED_APC_STATE_OFFSET, e, ETHREAD.TCB_APC_STATE_OFFSET);
            e.set(JAVA_LONG, ETHREAD.TCB_SAVED_APC_STATE_OFFSET + KAPC_STATE.PROCESS_OFFSET, 0L);
            e.set(JAVA_BYTE, ETHREAD.TCB_APC_STATE_INDEX_OFFSET, (byte) ORIGINAL_APC_ENVIRONMENT);
        } else {
            move(buffer, 0, e, ETHREAD.TCB_APC_STATE_OFFSET);
        }
        t.attachDepth--;
        t.attachPrevious[t.attachDepth] = null;
        t.current = previous;
        pm.ob.attach(previous.handles);
    }

    /**
     * The end of a system thread: INVALID_PROCESS_ATTACH_ATTEMPT (0x5) if it is still attached (its
     * own process, the attached one, ApcStateIndex, the ETHREAD). Its handle table goes back to its own.
     */
    static void checkDetachedAtExit(ProcessManager pm, PsThread t) {
        if (t.attachDepth != 0) {
            PsProcess attached = t.current;
            t.attachDepth = 0;
            t.current = t.process;
            pm.ob.attach(t.process.handles);
            throw pm.core.bugCheck(BugCheckCode.INVALID_PROCESS_ATTACH_ATTEMPT, t.process.address(), attached.address(),
                    ATTACHED_APC_ENVIRONMENT, t.address(), "system thread " + t.id + " ended while attached to process " + attached.id);
        }
    }

    private static void push(PsThread t, long buffer) {
        if (t.attachDepth == t.attachBuffers.length) {
            t.attachBuffers = Arrays.copyOf(t.attachBuffers, t.attachDepth * 2);
            t.attachPrevious = Arrays.copyOf(t.attachPrevious, t.attachDepth * 2);
        }
        t.attachBuffers[t.attachDepth] = buffer;
        t.attachPrevious[t.attachDepth] = t.current;
        t.attachDepth++;
    }

    /**
     * KiMoveApcState: copies the KAPC_STATE at {@code from}+{@code fromOff} to {@code to}+{@code toOff}
     * (Process and the flag bytes) and makes the copy's APC queue heads empty at their new place.
     */
    private static void move(MemorySegment from, long fromOff, MemorySegment to, long toOff) {
        MemorySegment.copy(from, fromOff + KAPC_STATE.PROCESS_OFFSET, to, toOff + KAPC_STATE.PROCESS_OFFSET,
                STATE_SIZE - KAPC_STATE.PROCESS_OFFSET);
        emptyHead(to, toOff + KAPC_STATE.APC_LIST_HEAD_OFFSET);
        emptyHead(to, toOff + KAPC_STATE.APC_LIST_HEAD_OFFSET + KAPC_STATE.APC_LIST_HEAD_SIZE);
    }

    /** InitializeListHead on a caller's buffer, which need not be 8-aligned. */
    private static void emptyHead(MemorySegment s, long off) {
        long head = s.address() + off;
        s.set(JAVA_LONG_UNALIGNED, off + LIST_ENTRY.FLINK_OFFSET, head);
        s.set(JAVA_LONG_UNALIGNED, off + LIST_ENTRY.BLINK_OFFSET, head);
    }

    private static MemorySegment bounded(ProcessManager pm, MemorySegment s) {
        return s.byteSize() >= STATE_SIZE ? s.asSlice(0, STATE_SIZE) : pm.core.addressSpace().resolve(s.address(), STATE_SIZE);
    }
}
