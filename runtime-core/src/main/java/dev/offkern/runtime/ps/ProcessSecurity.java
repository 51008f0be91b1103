package dev.offkern.runtime.ps;

import java.lang.foreign.MemorySegment;

/**
 * The security manager's part in the life of processes and threads (installed by the kernel with
 * {@link ProcessManager#setSecurity}): a new process gets its primary token ({@code EPROCESS.Token})
 * before it is published; a deleted process or thread gives back the token references it holds
 * ({@code EPROCESS.Token}, {@code ETHREAD.ClientSecurity}).
 */
public interface ProcessSecurity {
    /** A process is being created: {@code eprocess} is initialized but not yet listed. */
    void processCreated(MemorySegment eprocess);

    /** The Process object's delete procedure runs. */
    void processDeleted(MemorySegment eprocess);

    /** The Thread object's delete procedure runs. */
    void threadDeleted(MemorySegment ethread);
}
