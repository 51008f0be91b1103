package dev.offkern.layout;

import java.util.List;

/**
 * Layouts of other Windows builds that differ from the Windows 10 22H2 ones offkern uses, for
 * documentation ({@code offkern layouts --format table} prints them under their structure).
 * offkern itself always lays structures out as {@link Structures} gives them.
 */
public final class Variants {

    /** One documented variant: a label naming the Windows builds, and the layout there. */
    public record Variant(String label, StructSpec spec) {
    }

    private Variants() {
    }

    /** The documented variants of structure {@code name} under {@code abi} (often none). */
    public static List<Variant> of(String name, Abi abi) {
        if (name.equals("KTIMER") && abi == Abi.X64) {
            // Microsoft's symbols show the split in Windows 10 21H2/22H2 as well as Windows 11
            // (spec/windows-layouts.md's _KTIMER table; Windows 10 1507 still has the ULONG).
            return List.of(new Variant("Windows 11, and Windows 10 21H2/22H2 per Microsoft's symbols "
                    + "(same bytes, Processor split)", KTIMER.windows11X64()));
        }
        return List.of();
    }
}
