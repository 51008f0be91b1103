package dev.offkern.runtime.ps;

import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.ob.HandleTable;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The process manager's Java-side record of one process: its EPROCESS object (the body, a Process
 * object of the object manager, whose fields hold everything a driver or dump tool reads), its id,
 * its handle table, and its life: how many of its threads still run, whether ZwTerminateProcess
 * asked it to end, its exit status, and whether it has ended.
 *
 * <p>A process ends exactly once ({@link #ended}'s CAS), when it is terminating and none of its
 * threads runs; {@link #terminating} and {@link #liveThreads} change only under the process
 * manager's list lock, so the two conditions are decided together. The System process never ends.
 */
final class PsProcess {
    final MemorySegment eprocess;
    final long id;
    /** The process's handle table (EPROCESS.ObjectTable's counterpart; Java memory). */
    final HandleTable handles;
    /** InheritedFromUniqueProcessId: the id of the process whose thread created this one (0 for System). */
    final long parentId;
    /** Guarded by the process manager's list lock: threads of this process not yet terminated. */
    int liveThreads;
    /** Guarded by the list lock (written), read lock-free (volatile): ZwTerminateProcess ran. */
    volatile boolean terminating;
    /** The exit status; STATUS_PENDING until the process is terminating. Volatile: read by any thread. */
    volatile int exitStatus = NtStatus.STATUS_PENDING;
    /** Set once by the end (CAS): notified, handle table run down, unlinked, signalled, id retired. */
    final AtomicBoolean ended = new AtomicBoolean();

    PsProcess(MemorySegment eprocess, long id, HandleTable handles, long parentId) {
        this.eprocess = eprocess;
        this.id = id;
        this.handles = handles;
        this.parentId = parentId;
    }

    /** A segment over the EPROCESS body. */
    MemorySegment eprocess() {
        return eprocess;
    }

    /** UniqueProcessId. */
    long id() {
        return id;
    }

    /** The process's handle table. */
    HandleTable handles() {
        return handles;
    }

    /** The EPROCESS's address (the PEPROCESS value). */
    long address() {
        return eprocess.address();
    }
}
