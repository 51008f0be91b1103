/**
 * Security run-time library: the binary formats of SIDs, ACLs and security descriptors
 * and the {@code Rtl*} routines over them. Every parser here treats its input as untrusted bytes: it
 * reads only inside the buffer it was given and reports a lying count or size as the documented
 * failure (FALSE or an NTSTATUS), never as an out-of-bounds exception.
 */
package dev.offkern.runtime.se;
