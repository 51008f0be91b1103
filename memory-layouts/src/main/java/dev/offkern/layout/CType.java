package dev.offkern.layout;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;

/**
 * A C scalar type as the Windows headers spell it, with its size and alignment under each ABI.
 * Pointers, {@code ULONG_PTR}, {@code SIZE_T}, {@code HANDLE} and {@code KSPIN_LOCK} follow the
 * ABI's pointer size; everything else has the same size on both. Pointers are carried as integers
 * ({@code JAVA_LONG} on x64, {@code JAVA_INT} on x86) so that runtime code reads addresses as
 * {@code long} without allocating a {@code MemorySegment} per read.
 */
public record CType(String name, int x64Size, int x86Size) {

    public static final CType UCHAR = new CType("UCHAR", 1, 1);
    public static final CType CHAR = new CType("CHAR", 1, 1);
    public static final CType CCHAR = new CType("CCHAR", 1, 1);
    public static final CType BOOLEAN = new CType("BOOLEAN", 1, 1);
    public static final CType KIRQL = new CType("KIRQL", 1, 1);
    public static final CType KPROCESSOR_MODE = new CType("KPROCESSOR_MODE", 1, 1);
    public static final CType USHORT = new CType("USHORT", 2, 2);
    public static final CType SHORT = new CType("SHORT", 2, 2);
    public static final CType CSHORT = new CType("CSHORT", 2, 2);
    public static final CType WCHAR = new CType("WCHAR", 2, 2);
    public static final CType ULONG = new CType("ULONG", 4, 4);
    public static final CType LONG = new CType("LONG", 4, 4);
    public static final CType NTSTATUS = new CType("NTSTATUS", 4, 4);
    public static final CType ACCESS_MASK = new CType("ACCESS_MASK", 4, 4);
    /** Any C enumeration ({@code POOL_TYPE}, {@code KBUGCHECK_CALLBACK_REASON}, ...): an int. */
    public static final CType ENUM = new CType("enum", 4, 4);
    public static final CType ULONGLONG = new CType("ULONGLONG", 8, 8);
    public static final CType LONGLONG = new CType("LONGLONG", 8, 8);
    public static final CType ULONG64 = new CType("ULONG64", 8, 8);
    public static final CType PVOID = new CType("PVOID", 8, 4);
    /** A routine pointer (PKDEFERRED_ROUTINE, PDRIVER_CANCEL, ...). */
    public static final CType FNPTR = new CType("fnptr", 8, 4);
    public static final CType ULONG_PTR = new CType("ULONG_PTR", 8, 4);
    public static final CType LONG_PTR = new CType("LONG_PTR", 8, 4);
    public static final CType SIZE_T = new CType("SIZE_T", 8, 4);
    public static final CType HANDLE = new CType("HANDLE", 8, 4);
    public static final CType KSPIN_LOCK = new CType("KSPIN_LOCK", 8, 4);
    /** A processor bit mask: ULONG_PTR. */
    public static final CType KAFFINITY = new CType("KAFFINITY", 8, 4);
    public static final CType LONG64 = new CType("LONG64", 8, 8);

    /** Size in bytes under {@code abi}. */
    public int size(Abi abi) {
        return abi == Abi.X64 ? x64Size : x86Size;
    }

    /** Alignment in bytes under {@code abi}: natural (the size) for every scalar. */
    public int align(Abi abi) {
        return size(abi);
    }

    /** A fresh value layout of this type under {@code abi} (little-endian, naturally aligned). */
    public MemoryLayout layout(Abi abi) {
        return switch (size(abi)) {
            case 1 -> ValueLayout.JAVA_BYTE;
            case 2 -> ValueLayout.JAVA_SHORT;
            case 4 -> ValueLayout.JAVA_INT;
            case 8 -> ValueLayout.JAVA_LONG;
            default -> throw new IllegalStateException("no scalar of size " + size(abi));
        };
    }

    /** A pointer-sized alias with another name ({@code PKTHREAD}, {@code PIRP}, ...). */
    public static CType pointer(String name) {
        POINTERS.add(name);
        return new CType(name, 8, 4);
    }

    /** The pointer types: {@code PVOID}, {@code HANDLE}, routine pointers and every {@link #pointer} alias. */
    private static final java.util.Set<String> POINTERS = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        POINTERS.addAll(java.util.List.of("PVOID", "HANDLE", "fnptr"));
    }

    /**
     * The integer types, by name. {@code QUAD} (an 8-byte union whose integer view is
     * {@code UseThisFieldToCopy}) and {@code SYSTEM_POWER_STATE_CONTEXT} (bit fields over
     * {@code ULONG ContextAsUlong}) count as the integers they are copied as.
     */
    private static final java.util.Set<String> INTEGERS = java.util.Set.of("UCHAR", "CHAR", "CCHAR", "BOOLEAN",
            "KIRQL", "KPROCESSOR_MODE", "USHORT", "SHORT", "CSHORT", "WCHAR", "ULONG", "LONG", "NTSTATUS",
            "ACCESS_MASK", "ULONGLONG", "LONGLONG", "ULONG64", "LONG64", "ULONG_PTR", "LONG_PTR", "SIZE_T",
            "KSPIN_LOCK", "KAFFINITY", "QUAD", "SYSTEM_POWER_STATE_CONTEXT");

    /** The enumerations, by name ({@code POWER_STATE} is a union of two enumerations). */
    private static final java.util.Set<String> ENUMS = java.util.Set.of("enum", "POOL_TYPE", "KINTERRUPT_MODE",
            "KINTERRUPT_POLARITY", "POWER_STATE");

    /** The signed integer types, by name (as the WDK typedefs them: {@code CCHAR} is {@code char}, ...). */
    private static final java.util.Set<String> SIGNED = java.util.Set.of("CHAR", "CCHAR", "KPROCESSOR_MODE", "SHORT",
            "CSHORT", "LONG", "NTSTATUS", "LONGLONG", "LONG64", "LONG_PTR", "QUAD");

    /** Whether this type holds an address ({@code PVOID}, {@code HANDLE}, a routine pointer, a {@link #pointer} alias). */
    public boolean isPointer() {
        return POINTERS.contains(name);
    }

    /** Whether this is an enumeration ({@link #ENUM}, {@code POOL_TYPE}, ...): an {@code int} under MSVC. */
    public boolean isEnum() {
        return ENUMS.contains(name);
    }

    /** Whether this integer or enumeration type is signed (false for every pointer; MSVC's enumerations are signed). */
    public boolean isSigned() {
        return SIGNED.contains(name) || isEnum();
    }

    /** Whether offkern knows what kind of type this is (an integer, an enumeration or a pointer). */
    public boolean isClassified() {
        return isPointer() || isEnum() || INTEGERS.contains(name);
    }
}
