package dev.offkern.runtime.ps;

import java.lang.foreign.MemorySegment;

/**
 * The security manager's part in the life of processes and threads (installed by the kernel with
 * {@link ProcessManager#setSecurity}): a new process gets its primary token ({@code EPROCESS.Token})
 * and its security descriptor before it is published, a new thread its descriptor; a deleted
 * process or thread gives back the token references it holds ({@code EPROCESS.Token},
 * {@code ETHREAD.ClientSecurity}) — its descriptor goes with the object. The descriptors are made from
 * the process's primary token, never from the calling thread's subject context: a thread's ETHREAD is
 * made while its kernel state is being made, when no context can be captured.
 */
public interface ProcessSecurity {
    /** A process is being created: {@code eprocess} is initialized but not yet listed. */
    void processCreated(MemorySegment eprocess);

    /**
     * A thread is being created in {@code eprocess}: {@code ethread} is initialized but not yet listed
     * (it may be the calling thread's own ETHREAD, its kernel state not yet complete).
     */
    void threadCreated(MemorySegment ethread, MemorySegment eprocess);

    /** {@code SeSinglePrivilegeCheck(SeDebugPrivilege, PreviousMode)} for the calling thread. */
    boolean debugPrivilege(int previousMode);

    /** The Process object's delete procedure runs. */
    void processDeleted(MemorySegment eprocess);

    /** The Thread object's delete procedure runs. */
    void threadDeleted(MemorySegment ethread);
}
