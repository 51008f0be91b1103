package dev.offkern.layout;

import java.lang.foreign.StructLayout;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One structure under one ABI: its {@link StructLayout} (every hole an explicit padding layout)
 * and the list of its named members with offsets computed from that layout.
 *
 * <p>{@code origin} says where the layout comes from: {@link Origin#PUBLIC} for structures with a
 * public header definition (checked by the WDK oracle), {@link Origin#OPAQUE} for offkern's own
 * layouts of Windows' opaque objects (fields modelled at Windows' offsets, the rest reserved).
 */
public final class StructSpec {

    /** Where a layout's truth comes from. */
    public enum Origin { PUBLIC, OPAQUE }

    private final String name;
    private final Abi abi;
    private final StructLayout layout;
    private final List<Field> fields;
    private final Map<String, Field> byName;
    private final Origin origin;
    private final boolean union;
    private final Map<String, TypeRef> types;

    StructSpec(String name, Abi abi, StructLayout layout, List<Field> fields, Origin origin, boolean union,
               Map<String, TypeRef> types) {
        this.name = name;
        this.union = union;
        this.types = Map.copyOf(types);
        this.abi = abi;
        this.layout = layout;
        this.fields = List.copyOf(fields);
        this.origin = origin;
        Map<String, Field> map = new LinkedHashMap<>();
        for (Field f : fields) {
            if (map.putIfAbsent(f.name(), f) != null) {
                throw new IllegalStateException(name + ": duplicate member " + f.name());
            }
        }
        this.byName = Map.copyOf(map);
    }

    /** The C typedef name ({@code KTIMER}). */
    public String name() {
        return name;
    }

    public Abi abi() {
        return abi;
    }

    public StructLayout layout() {
        return layout;
    }

    /** {@code sizeof} in bytes. */
    public long size() {
        return layout.byteSize();
    }

    /** {@code _Alignof} in bytes. */
    public long align() {
        return layout.byteAlignment();
    }

    /** Whether {@code address} satisfies this structure's alignment ({@link #align()}). */
    public boolean isAligned(long address) {
        return (address & (align() - 1)) == 0;
    }

    /**
     * Checks that memory at {@code address} may hold this structure: what allocators and initialisation
     * routines call (16 bytes for SLIST_HEADER/SLIST_ENTRY/LOOKASIDE_LIST_EX on x64, 64 for the
     * cache-aligned lookaside lists). The error names the structure, the ABI, the alignment and the address.
     *
     * @return {@code address}
     */
    public long requireAligned(long address) {
        if (!isAligned(address)) {
            throw new IllegalArgumentException(name + " (" + abi.id() + ") must be " + align()
                    + "-byte aligned, address 0x" + Long.toHexString(address) + " is not");
        }
        return address;
    }

    public Origin origin() {
        return origin;
    }

    /** Whether the typedef is a union ({@code LARGE_INTEGER}, {@code SLIST_HEADER}) rather than a struct. */
    public boolean isUnion() {
        return union;
    }

    /** The declared C type of member {@code path}; the error names the structure and the member. */
    public TypeRef typeOf(String path) {
        field(path);
        return types.get(path);
    }

    /** The declared C type of {@code field}, one of this structure's {@link #fields()}. */
    public TypeRef typeOf(Field field) {
        return typeOf(field.name());
    }

    /** Every named member in declaration order, nested named members as dotted paths. */
    public List<Field> fields() {
        return fields;
    }

    /** The member called {@code path}; the error names the structure and the member. */
    public Field field(String path) {
        Field f = byName.get(path);
        if (f == null) {
            throw new IllegalArgumentException(name + " (" + abi.id() + ") has no member '" + path + "'");
        }
        return f;
    }

    /** Whether a member called {@code path} exists. */
    public boolean hasField(String path) {
        return byName.containsKey(path);
    }

    /** Byte offset of the member {@code path}. */
    public long offset(String path) {
        return field(path).offset();
    }

    @Override
    public String toString() {
        return name + "[" + abi.id() + ", size=" + size() + ", align=" + align() + "]";
    }
}
