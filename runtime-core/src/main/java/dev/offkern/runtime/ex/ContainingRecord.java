package dev.offkern.runtime.ex;

import dev.offkern.layout.StructSpec;
import dev.offkern.runtime.mm.AddressSpace;
import java.lang.foreign.MemorySegment;

/**
 * The {@code CONTAINING_RECORD(Address, Type, Field)} idiom: from the address of a member (an
 * {@code SLIST_ENTRY} popped from a list, a {@code LIST_ENTRY} link) back to the structure that
 * contains it, as a segment bounded to exactly {@code sizeof(Type)} bytes and resolved through the
 * kernel's address space, so that a wrong address or a structure that would run past its region is
 * a bug check (PAGE_FAULT_IN_NONPAGED_AREA, 0x50), never an unbounded segment.
 */
public final class ContainingRecord {

    private ContainingRecord() {
    }

    /**
     * The structure of type {@code type} whose member {@code field} lies at {@code fieldAddress}.
     *
     * @throws IllegalArgumentException if {@code type} has no member {@code field}
     * @throws dev.offkern.nt.BugCheck 0x50 if the structure is not inside one region
     */
    public static MemorySegment of(AddressSpace space, long fieldAddress, StructSpec type, String field) {
        long base = address(fieldAddress, type, field);
        return space.resolve(base, type.size());
    }

    /** As {@link #of(AddressSpace, long, StructSpec, String)} for the address of {@code member}. */
    public static MemorySegment of(AddressSpace space, MemorySegment member, StructSpec type, String field) {
        if (member.address() == 0) {
            throw new IllegalArgumentException("CONTAINING_RECORD of a NULL " + field);
        }
        return of(space, member.address(), type, field);
    }

    /** The containing structure's address: {@code fieldAddress - offsetof(type, field)} (no check). */
    public static long address(long fieldAddress, StructSpec type, String field) {
        return fieldAddress - type.offset(field);
    }
}
