package dev.offkern.layout;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Builds a {@link StructSpec} the way a C compiler lays out a structure under the MSVC rules
 * of the chosen ABI: each member at the next offset aligned to its alignment, bit fields packed
 * LSB-first into units of their declared type (a new unit when the next field does not fit),
 * unions as wide as their widest member, the whole rounded up to its alignment. Every hole becomes
 * an explicit {@code paddingLayout}, and each member's offset is then read back from the finished
 * {@link StructLayout} through its path ({@code layout.byteOffset(path)}), never typed in.
 *
 * <p>Every named member's layout carries its C name ({@code withName}), as jextract's output does, so
 * that {@code LAYOUT.varHandle(PathElement.groupElement("Period"))} works for a top-level member and
 * a path of names reaches a member of a named nested struct; anonymous structs and unions stay
 * unnamed (reach their members by index, or through the {@code *_OFFSET} constants).
 *
 * <p>Opaque structures use {@link Builder#at(long)} to place a field at Windows' offset (the bytes
 * before it become reserved padding) and {@link Builder#sizeTo(long)} to give Windows' size.
 *
 * <pre>{@code
 * StructSpec ktimer = CStruct.struct("KTIMER", abi)
 *     .field("Header", DISPATCHER_HEADER.of(abi))
 *     .field("DueTime", CType.ULONGLONG)
 *     .build();
 * }</pre>
 */
public final class CStruct {

    private CStruct() {
    }

    /** Starts a structure. */
    public static Builder struct(String name, Abi abi) {
        return new Builder(name, abi, false, StructSpec.Origin.PUBLIC);
    }

    /** Starts an opaque structure: offkern's own layout at Windows' offsets. */
    public static Builder opaque(String name, Abi abi) {
        return new Builder(name, abi, false, StructSpec.Origin.OPAQUE);
    }

    /** Starts a top-level union ({@code LARGE_INTEGER}, ...). */
    public static Builder union(String name, Abi abi) {
        return new Builder(name, abi, true, StructSpec.Origin.PUBLIC);
    }

    /** A member recorded while building: its path from the enclosing group, and its metadata. */
    private record Pending(String name, List<PathElement> path, long size, int bitOffset, int bitWidth,
                           String type, TypeRef ref) {
    }

    /** Lays out members of one struct or union level. */
    public static final class Builder {
        private final String name;
        private final Abi abi;
        private final boolean isUnion;
        private final StructSpec.Origin origin;
        private final List<MemoryLayout> members = new ArrayList<>();
        private final List<Pending> pending = new ArrayList<>();
        private long position;     // next free byte (struct) or current max size (union)
        private long alignment = 1;
        private long forcedAlignment = 1;
        private long forcedSize = -1;
        private long nextMemberAlignment = 1;
        private long packLimit = Long.MAX_VALUE;
        // Open bit-field run: its unit layout index, unit size and bits used.
        private int bitUnitIndex = -1;
        private int bitUnitSize;
        private int bitsUsed;

        private Builder(String name, Abi abi, boolean isUnion, StructSpec.Origin origin) {
            this.name = name;
            this.abi = abi;
            this.isUnion = isUnion;
            this.origin = origin;
        }

        public Abi abi() {
            return abi;
        }

        /** A scalar member. */
        public Builder field(String member, CType type) {
            return add(member, type.layout(abi), type.name(), TypeRef.of(type, abi));
        }

        /** An embedded structure of another typedef (listed as one member, not flattened). */
        public Builder field(String member, StructSpec type) {
            return add(member, type.layout(), type.name(), new TypeRef.Named(type));
        }

        /** A fixed array of scalars. */
        public Builder array(String member, CType type, int count) {
            return add(member, MemoryLayout.sequenceLayout(count, type.layout(abi)), type.name() + "[" + count + "]",
                    new TypeRef.Array(TypeRef.of(type, abi), count));
        }

        /** A fixed array of structures. */
        public Builder array(String member, StructSpec type, int count) {
            return add(member, MemoryLayout.sequenceLayout(count, type.layout()), type.name() + "[" + count + "]",
                    new TypeRef.Array(new TypeRef.Named(type), count));
        }

        /** A nested inline struct; {@code member == null} makes it anonymous (its members are flattened). */
        public Builder struct(String member, Consumer<Builder> body) {
            return nested(member, false, body);
        }

        /** A nested inline union; {@code member == null} makes it anonymous. */
        public Builder union(String member, Consumer<Builder> body) {
            return nested(member, true, body);
        }

        /**
         * A run of bit fields of declared type {@code unit}: {@code namesAndWidths} alternates a
         * name (String, or null for an unnamed filler) and a width (Integer).
         */
        public Builder bits(CType unit, Object... namesAndWidths) {
            int unitSize = unit.size(abi);
            for (int i = 0; i < namesAndWidths.length; i += 2) {
                String bitName = (String) namesAndWidths[i];
                int width = (Integer) namesAndWidths[i + 1];
                if (width <= 0 || width > unitSize * 8) {
                    throw new IllegalArgumentException(name + "." + bitName + ": bad width " + width);
                }
                if (bitUnitIndex < 0 || bitUnitSize != unitSize || bitsUsed + width > unitSize * 8) {
                    closeBits();
                    bitUnitIndex = placeMember(unit.layout(abi));
                    bitUnitSize = unitSize;
                    bitsUsed = 0;
                }
                if (bitName != null) {
                    pending.add(new Pending(bitName, List.of(PathElement.groupElement(bitUnitIndex)),
                            unitSize, bitsUsed, width, unit.name(), TypeRef.of(unit, abi)));
                }
                bitsUsed += width;
                if (isUnion) {
                    closeBits();
                }
            }
            return this;
        }

        /** Skips to {@code offset} (opaque layouts): the bytes in between are reserved padding. */
        public Builder at(long offset) {
            closeBits();
            if (isUnion || offset < position) {
                throw new IllegalStateException(name + ": cannot move to 0x" + Long.toHexString(offset)
                        + " from 0x" + Long.toHexString(position));
            }
            if (offset > position) {
                members.add(MemoryLayout.paddingLayout(offset - position));
                position = offset;
            }
            return this;
        }

        /**
         * Raises the alignment of the next member only ({@code DECLSPEC_ALIGN(n)} on a member, the
         * WDK's {@code POINTER_ALIGNMENT}); the enclosing group's alignment rises with it, as in C.
         */
        public Builder alignNext(long bytes) {
            if (Long.bitCount(bytes) != 1) {
                throw new IllegalArgumentException(name + ": alignment " + bytes + " is not a power of two");
            }
            closeBits();
            nextMemberAlignment = Math.max(nextMemberAlignment, bytes);
            return this;
        }

        /** The WDK's {@code POINTER_ALIGNMENT} on the next member: 8-byte aligned on x64, nothing on x86. */
        public Builder pointerAligned() {
            return abi == Abi.X64 ? alignNext(8) : this;
        }

        /**
         * {@code #pragma pack(bytes)} ({@code pshpack4.h}) around this structure's definition: every
         * member, including members of inline structs and unions defined inside it, is aligned to at most
         * {@code bytes}. Call it before adding members.
         */
        public Builder pack(long bytes) {
            if (Long.bitCount(bytes) != 1) {
                throw new IllegalArgumentException(name + ": pack " + bytes + " is not a power of two");
            }
            if (!members.isEmpty()) {
                throw new IllegalStateException(name + ": pack must come before the first member");
            }
            packLimit = bytes;
            return this;
        }

        /** Raises the alignment (DECLSPEC_ALIGN / DECLSPEC_CACHEALIGN). */
        public Builder alignAs(long bytes) {
            forcedAlignment = Math.max(forcedAlignment, bytes);
            return this;
        }

        /** Makes the finished structure exactly {@code size} bytes (opaque layouts), tail reserved. */
        public Builder sizeTo(long size) {
            forcedSize = size;
            return this;
        }

        /** Finishes the top-level structure. */
        public StructSpec build() {
            MemoryLayout group = finishGroup();
            StructLayout layout = group instanceof StructLayout s ? s
                    : MemoryLayout.structLayout(group).withByteAlignment(group.byteAlignment());
            List<Field> fields = new ArrayList<>();
            Map<String, TypeRef> types = new HashMap<>();
            List<PathElement> prefix = group instanceof StructLayout ? List.of() : List.of(PathElement.groupElement(0));
            for (Pending p : pending) {
                List<PathElement> path = new ArrayList<>(prefix);
                path.addAll(p.path());
                long offset = layout.byteOffset(path.toArray(PathElement[]::new));
                fields.add(new Field(p.name(), offset, p.size(), p.bitOffset(), p.bitWidth(), p.type()));
                types.put(p.name(), p.ref());
            }
            return new StructSpec(name, abi, layout.withName(name), fields, origin, isUnion, types);
        }

        private Builder add(String member, MemoryLayout layout, String type, TypeRef ref) {
            closeBits();
            int index = placeMember(layout.withName(member)); // named as in C: LAYOUT.varHandle(groupElement(member)) works
            pending.add(new Pending(member, List.of(PathElement.groupElement(index)), layout.byteSize(), -1, 0, type, ref));
            return this;
        }

        private Builder nested(String member, boolean union, Consumer<Builder> body) {
            closeBits();
            Builder inner = new Builder(member == null ? "<anonymous>" : member, abi, union, origin);
            inner.packLimit = packLimit;
            body.accept(inner);
            MemoryLayout group = inner.finishGroup();
            int index = placeMember(member == null ? group : group.withName(member));
            if (member != null) {
                pending.add(new Pending(member, List.of(PathElement.groupElement(index)), group.byteSize(), -1, 0,
                        union ? "union" : "struct", new TypeRef.Inline(union, group.byteSize(), group.byteAlignment())));
            }
            for (Pending p : inner.pending) {
                List<PathElement> path = new ArrayList<>();
                path.add(PathElement.groupElement(index));
                path.addAll(p.path());
                String n = member == null ? p.name() : member + "." + p.name();
                pending.add(new Pending(n, path, p.size(), p.bitOffset(), p.bitWidth(), p.type(), p.ref()));
            }
            return this;
        }

        /** Appends {@code layout} at its aligned position and returns its index in the group. */
        private int placeMember(MemoryLayout layout) {
            // #pragma pack caps the natural alignment; an explicit DECLSPEC_ALIGN on the member still wins (MSVC).
            if (layout.byteAlignment() > packLimit) {
                layout = packed(layout, packLimit);
            }
            if (nextMemberAlignment > layout.byteAlignment()) {
                layout = layout.withByteAlignment(nextMemberAlignment);
            }
            nextMemberAlignment = 1;
            long align = layout.byteAlignment();
            alignment = Math.max(alignment, align);
            if (isUnion) {
                members.add(layout);
                position = Math.max(position, layout.byteSize());
                return members.size() - 1;
            }
            long aligned = roundUp(position, align);
            if (aligned > position) {
                members.add(MemoryLayout.paddingLayout(aligned - position));
            }
            members.add(layout);
            position = aligned + layout.byteSize();
            return members.size() - 1;
        }

        /** {@code layout} with every alignment inside it capped at {@code max} (names and offsets kept). */
        private static MemoryLayout packed(MemoryLayout layout, long max) {
            MemoryLayout result;
            if (layout instanceof java.lang.foreign.StructLayout s) {
                result = MemoryLayout.structLayout(s.memberLayouts().stream().map(m -> packed(m, max))
                        .toArray(MemoryLayout[]::new));
            } else if (layout instanceof java.lang.foreign.UnionLayout u) {
                result = MemoryLayout.unionLayout(u.memberLayouts().stream().map(m -> packed(m, max))
                        .toArray(MemoryLayout[]::new));
            } else if (layout instanceof java.lang.foreign.SequenceLayout q) {
                result = MemoryLayout.sequenceLayout(q.elementCount(), packed(q.elementLayout(), max));
            } else {
                result = layout;
            }
            result = result.withByteAlignment(Math.min(layout.byteAlignment(), max));
            return layout.name().map(result::withName).orElse(result);
        }

        private void closeBits() {
            bitUnitIndex = -1;
            bitsUsed = 0;
            bitUnitSize = 0;
        }

        private MemoryLayout finishGroup() {
            closeBits();
            long align = Math.max(alignment, forcedAlignment);
            long size = roundUp(position, align);
            if (forcedSize >= 0) {
                if (forcedSize < position || forcedSize % align != 0) {
                    throw new IllegalStateException(name + ": size 0x" + Long.toHexString(forcedSize)
                            + " does not fit members ending at 0x" + Long.toHexString(position) + " with alignment " + align);
                }
                size = forcedSize;
            }
            List<MemoryLayout> all = new ArrayList<>(members);
            if (isUnion) {
                if (size > position) {
                    all.add(MemoryLayout.paddingLayout(size));
                }
                return MemoryLayout.unionLayout(all.toArray(MemoryLayout[]::new)).withByteAlignment(align);
            }
            if (size > position) {
                all.add(MemoryLayout.paddingLayout(size - position));
            }
            return MemoryLayout.structLayout(all.toArray(MemoryLayout[]::new)).withByteAlignment(align);
        }

        private static long roundUp(long value, long align) {
            return (value + align - 1) / align * align;
        }
    }
}
