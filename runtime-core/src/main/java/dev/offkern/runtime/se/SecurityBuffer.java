package dev.offkern.runtime.se;

import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.mm.LiveMemory;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.verifier.Verifier;
import dev.offkern.runtime.verifier.VerifierCheck;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The bounds a security parser may read within. A caller passes a variable-length structure (a SID,
 * an ACL) either as a sized segment, which is then the whole buffer, or as a raw pointer (a
 * zero-length segment), which is resolved through the calling thread's kernel's address space to
 * the rest of the region holding it. Parsers check every count and size they read against these
 * bounds before they follow it.
 *
 * <p>Progress: wait-free; a sized segment is returned as it is (no allocation).
 */
final class SecurityBuffer {

    static final ValueLayout.OfByte UCHAR = ValueLayout.JAVA_BYTE;
    static final ValueLayout.OfShort USHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt ULONG = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong POINTER = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SecurityBuffer() {
    }

    /**
     * The buffer behind {@code pointer}: the segment itself when it is sized; for a raw pointer, the
     * rest of the live pool block holding it (the verifier's special pool: a freed block or a pool
     * header is 0xD5/0xD6) or, without the verifier, the rest of its registered region.
     *
     * @throws dev.offkern.nt.BugCheck PAGE_FAULT_IN_NONPAGED_AREA (0x50) for NULL or an unmapped raw pointer
     * @throws IllegalStateException if a sized segment is no longer mapped
     */
    static MemorySegment of(MemorySegment pointer, String routine, String parameter) {
        if (pointer != null && pointer.byteSize() == 0 && pointer.address() != 0 && specialPool()) {
            space().checkLive(pointer.address(), pointer.address(), 1, false);   // 0x50, 0xD5 or 0xD6 before any read
        }
        MemorySegment found = find(pointer, routine, parameter);
        if (found == null) {
            long address = pointer == null ? 0 : pointer.address();
            throw space().fault(address, 1, routine + ": " + parameter + " points to no mapped memory");
        }
        return found;
    }

    /** As {@link #of}, but null where {@link #of} would bug check (for routines that answer FALSE instead). */
    static MemorySegment find(MemorySegment pointer, String routine, String parameter) {
        if (pointer == null || (pointer.byteSize() == 0 && pointer.address() == 0)) {
            return null;
        }
        if (pointer.byteSize() > 0) {
            return LiveMemory.require(pointer, routine, parameter);
        }
        Region r = space().find(pointer.address(), 1);
        if (r == null) {
            return null;
        }
        long offset = r.offsetOf(pointer.address());
        long length = r.length() - offset;
        if (r.blocks() != null && specialPool()) {
            long live = r.blocks().liveBytesAt(pointer.address());
            if (live <= 0) {
                return null;
            }
            length = Math.min(length, live);
        }
        return r.segment().asSlice(offset, length);
    }

    /**
     * Exactly {@code bytes} bytes at {@code address} (a pointer stored in a structure, written by the
     * routine): inside one live pool block under the verifier's special pool (0xD5/0xD6 otherwise),
     * inside one registered region without it (0x50 otherwise).
     */
    static MemorySegment at(long address, long bytes, boolean write) {
        Region r = specialPool() ? space().checkLive(address, address, bytes, write) : space().regionOf(address, bytes);
        return r.segment().asSlice(r.offsetOf(address), bytes);
    }

    private static boolean specialPool() {
        return Verifier.ENABLED && ThreadState.current().verifies(VerifierCheck.SPECIAL_POOL);
    }

    private static AddressSpace space() {
        return ThreadState.current().kernel().addressSpace();
    }
}
