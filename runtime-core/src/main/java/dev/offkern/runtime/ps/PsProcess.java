package dev.offkern.runtime.ps;

import dev.offkern.runtime.ob.HandleTable;
import java.lang.foreign.MemorySegment;

/**
 * The process manager's Java-side record of one process: its EPROCESS object (the body, a Process
 * object of the object manager, whose fields hold everything a driver or dump tool reads), its id
 * and its handle table. The record is immutable; the process's mutable state (its thread list, its
 * signal) lives in the EPROCESS and is changed under {@link ProcessManager}'s list lock or the
 * dispatcher lock.
 *
 * @param eprocess a segment over the EPROCESS body
 * @param id       UniqueProcessId (a multiple of 4; the System process is 4)
 * @param handles  the process's handle table (EPROCESS.ObjectTable's counterpart; Java memory)
 */
record PsProcess(MemorySegment eprocess, long id, HandleTable handles) {
    /** The EPROCESS's address (the PEPROCESS value). */
    long address() {
        return eprocess.address();
    }
}
