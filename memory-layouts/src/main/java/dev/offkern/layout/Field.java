package dev.offkern.layout;

/**
 * One named member of a structure as the headers name it: a dotted path through named inline
 * structs and unions ({@code Tail.Overlay.ListEntry}), its byte offset from the start of the
 * outermost structure and its size. A bit field also carries the bit offset inside its storage
 * unit (least significant bit first, as MSVC allocates) and its width; other fields have
 * {@code bitOffset == -1} and {@code bitWidth == 0}.
 *
 * @param name      C member designator, usable in {@code offsetof}
 * @param offset    byte offset from the start of the structure
 * @param size      size in bytes (of the storage unit, for a bit field)
 * @param bitOffset bit offset within the unit at {@code offset}, or -1
 * @param bitWidth  width in bits, or 0
 * @param type      the C type's name as the headers write it
 */
public record Field(String name, long offset, long size, int bitOffset, int bitWidth, String type) {

    /** Whether this member is a bit field. */
    public boolean isBitField() {
        return bitWidth > 0;
    }

    /** Mask of the field's bits within its storage unit, already shifted. */
    public long mask() {
        long ones = bitWidth == 64 ? -1L : (1L << bitWidth) - 1;
        return ones << bitOffset;
    }
}
