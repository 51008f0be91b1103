/**
 * The security reference monitor: token objects ({@code EPROCESS.Token}, {@code ETHREAD.ClientSecurity}),
 * subject contexts, privilege checks, {@code SeAccessCheck} and {@code SeAssignSecurity}. It sits
 * above the object manager and the process manager (tokens are objects; processes and threads hold
 * them) and uses the security run-time library ({@code dev.offkern.runtime.se}) for every SID, ACL
 * and descriptor it reads.
 */
package dev.offkern.runtime.srm;
