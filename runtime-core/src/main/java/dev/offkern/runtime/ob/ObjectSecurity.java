package dev.offkern.runtime.ob;

import java.lang.foreign.MemorySegment;

/**
 * The security reference monitor's part in the object manager's paths (installed by the kernel with
 * {@link ObjectManager#setSecurity}; the srm sits above {@code ob}, so the object manager reaches it
 * through this interface, as it reaches the process manager through its delete procedures). Every
 * call acts for the calling thread: its subject context (impersonation token at
 * SecurityImpersonation or above, else its process's primary token) is captured and released inside.
 * Descriptors in and out are self-relative; the ones this interface returns are in paged pool and
 * freed with {@link #deassign}.
 */
public interface ObjectSecurity {
    /**
     * {@code SeAssignSecurity(ParentDescriptor, ExplicitDescriptor, &NewDescriptor, IsDirectoryObject,
     * <caller's subject context>, GenericMapping, PagedPool)}: the new object's descriptor.
     *
     * @throws ObFailure with SeAssignSecurity's failure status
     */
    long assign(long parentDescriptor, long explicitDescriptor, boolean isDirectoryObject, MemorySegment genericMapping);

    /**
     * SeAssignSecurity for an object the kernel makes on behalf of a process (a process, a thread),
     * possibly on a thread whose kernel state is still being made: the subject context holds
     * {@code primaryToken} (a token the caller keeps referenced) as its primary token and no client
     * token, instead of the calling thread's. No parent descriptor; not a container.
     *
     * @throws ObFailure with SeAssignSecurity's failure status
     */
    long assignForToken(long primaryToken, long explicitDescriptor, MemorySegment genericMapping);

    /**
     * {@code SeAccessCheck(SecurityDescriptor, <caller's subject context>, FALSE, DesiredAccess,
     * PreviouslyGrantedAccess, NULL, GenericMapping, UserMode, ...)}: the granted access (≥ 0), or the
     * failure NTSTATUS (negative).
     */
    long accessCheck(long securityDescriptor, int desiredAccess, int previouslyGrantedAccess, MemorySegment genericMapping);

    /**
     * {@code SeSetSecurityDescriptorInfo}: a new descriptor with the parts {@code securityInformation}
     * names (OWNER_, GROUP_, DACL_, SACL_SECURITY_INFORMATION) taken from {@code modification} and the
     * rest from {@code current}; generic rights in the new ACEs mapped with {@code genericMapping}. A new
     * owner must be one the calling thread's effective token may assign (its user, a group with
     * SE_GROUP_OWNER) unless SeRestorePrivilege is enabled.
     *
     * @throws ObFailure STATUS_INVALID_SECURITY_DESCR, STATUS_INVALID_OWNER, STATUS_INVALID_PRIMARY_GROUP,
     *         STATUS_INSUFFICIENT_RESOURCES
     */
    long merge(long current, int securityInformation, long modification, MemorySegment genericMapping);

    /**
     * {@code RtlSelfRelativeToAbsoluteSD}'s reader side: a new descriptor holding only the parts
     * {@code securityInformation} names of {@code descriptor} (what NtQuerySecurityObject returns).
     */
    long select(long descriptor, int securityInformation);

    /** The length in bytes of the self-relative descriptor at {@code descriptor} (RtlLengthSecurityDescriptor). */
    int length(long descriptor);

    /** {@code SeDeassignSecurity}: frees a descriptor this interface returned. */
    void deassign(long descriptor);
}
