package dev.offkern.runtime.ke;

import dev.offkern.nt.DatatypeMisalignmentException;
import dev.offkern.runtime.mm.LiveMemory;
import java.lang.foreign.MemorySegment;

/**
 * Turns a structure pointer a caller passed ({@code PEX_RUNDOWN_REF}, {@code PRTL_RUN_ONCE},
 * {@code PVOID Object}, ...) into a segment a routine may access, before the routine touches it.
 * A caller may pass either a sized segment (what the pools hand out) or a raw pointer (a
 * zero-length segment, as {@code MemorySegment.ofAddress} makes, or as native code passes):
 *
 * <ul>
 *   <li>NULL or a raw pointer: resolved through the calling thread's kernel's address space, so an
 *       address outside every region is PAGE_FAULT_IN_NONPAGED_AREA (0x50) with the address,
 *       through the kernel's bug-check path — never FFM's IndexOutOfBoundsException;</li>
 *   <li>a segment whose memory was unmapped (its kernel closed): {@link IllegalStateException}
 *       naming the routine and parameter — never FFM's bare "Already closed", and never an access to
 *       whatever a later kernel mapped at the same address;</li>
 *   <li>a segment shorter than the structure: {@link IllegalArgumentException} with both sizes;</li>
 *   <li>an address not aligned as the structure requires:
 *       {@link DatatypeMisalignmentException} (STATUS_DATATYPE_MISALIGNMENT).</li>
 * </ul>
 *
 * <p>Progress: wait-free; allocates nothing on the sized-segment path (the common one).
 */
public final class CallerMemory {
    private CallerMemory() {
    }

    /**
     * {@code pointer} as a segment of at least {@code size} bytes aligned to {@code alignment}.
     *
     * @param routine   the DDI routine, for messages
     * @param parameter the C parameter name, for messages
     */
    public static MemorySegment structure(MemorySegment pointer, long size, long alignment, String routine,
                                          String parameter) {
        if (pointer == null) {
            pointer = MemorySegment.NULL;
        }
        long address = pointer.address();
        if (pointer.byteSize() == 0) {
            // A raw pointer (NULL included): only the address space knows whether it may be dereferenced.
            MemorySegment resolved = ThreadState.current().kernel().addressSpace().resolve(address, size);
            return aligned(resolved, alignment, routine, parameter);
        }
        if (!pointer.scope().isAlive()) {
            throw LiveMemory.unmapped(pointer, routine, parameter);
        }
        if (pointer.byteSize() < size) {
            throw new IllegalArgumentException(routine + ": " + parameter + " is a segment of " + pointer.byteSize()
                    + " bytes at 0x" + Long.toHexString(address) + "; the structure needs " + size);
        }
        return aligned(pointer, alignment, routine, parameter);
    }

    private static MemorySegment aligned(MemorySegment segment, long alignment, String routine, String parameter) {
        if ((segment.address() & (alignment - 1)) != 0) {
            throw new DatatypeMisalignmentException(routine + " " + parameter, segment.address(), alignment);
        }
        return segment;
    }
}
