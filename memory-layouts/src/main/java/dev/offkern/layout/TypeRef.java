package dev.offkern.layout;

/**
 * The C type of one member, as the layout was declared: what renderers for other tools need beyond
 * offset and size (the JSON and Volatility ISF formats, {@code layouts --diff}).
 *
 * <ul>
 * <li>{@link Scalar}: an integer or enumeration ({@code ULONG}, {@code KIRQL}, {@code enum}) with
 *     its signedness and width;</li>
 * <li>{@link Pointer}: an address ({@code PVOID}, {@code PKDPC}, a routine pointer) and what it
 *     points to ({@link Pointee});</li>
 * <li>{@link Array}: {@code count} elements of another type;</li>
 * <li>{@link Named}: an embedded structure or union of another typedef ({@code DISPATCHER_HEADER});</li>
 * <li>{@link Inline}: a named struct or union defined inside the structure ({@code IRP.Tail}); its
 *     members are the structure's fields whose path starts with this member's name and a dot.</li>
 * </ul>
 * Anonymous inline structs and unions have no member of their own: their members belong to the
 * enclosing level, as C and Microsoft's symbols present them.
 */
public sealed interface TypeRef permits TypeRef.Scalar, TypeRef.Pointer, TypeRef.Array, TypeRef.Named,
        TypeRef.Inline {

    /** The type as a C declaration writes it ({@code ULONG}, {@code PKDPC}, {@code UCHAR[15]}, {@code union}). */
    String spelling();

    /** Size in bytes. */
    long size();

    /** The reference to scalar type {@code type} under {@code abi}: a {@link Pointer} or a {@link Scalar}. */
    static TypeRef of(CType type, Abi abi) {
        if (type.isPointer()) {
            return new Pointer(type, type.size(abi), Pointee.of(type));
        }
        return new Scalar(type, type.size(abi));
    }

    /**
     * An integer or enumeration.
     *
     * @param type the C type
     * @param size its size in bytes under the structure's ABI
     */
    record Scalar(CType type, long size) implements TypeRef {
        @Override
        public String spelling() {
            return type.name();
        }

        /** Whether the type is signed. */
        public boolean signed() {
            return type.isSigned();
        }

        /** Whether the type is an enumeration (an {@code int}). */
        public boolean isEnum() {
            return type.isEnum();
        }
    }

    /**
     * A pointer.
     *
     * @param type   the pointer type as declared ({@code PVOID}, {@code PKDPC}, {@code fnptr})
     * @param size   its size in bytes under the structure's ABI
     * @param target what it points to
     */
    record Pointer(CType type, long size, Pointee target) implements TypeRef {
        @Override
        public String spelling() {
            return type.name();
        }
    }

    /**
     * A fixed array.
     *
     * @param element the element type
     * @param count   the number of elements
     */
    record Array(TypeRef element, long count) implements TypeRef {
        @Override
        public String spelling() {
            return element.spelling() + "[" + count + "]";
        }

        @Override
        public long size() {
            return element.size() * count;
        }
    }

    /**
     * An embedded structure or union of another typedef.
     *
     * @param spec its layout
     */
    record Named(StructSpec spec) implements TypeRef {
        @Override
        public String spelling() {
            return spec.name();
        }

        @Override
        public long size() {
            return spec.size();
        }
    }

    /**
     * A named struct or union defined in place.
     *
     * @param union whether it is a union
     * @param size  its size in bytes
     * @param align its alignment in bytes
     */
    record Inline(boolean union, long size, long align) implements TypeRef {
        @Override
        public String spelling() {
            return union ? "union" : "struct";
        }
    }
}
