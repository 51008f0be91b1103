package dev.offkern.tests.oracle;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The members mingw-w64's headers declare, read back from the DWARF debug information the cross
 * compiler emits ({@code objdump --dwarf=info}): for a typedef, every member as offkern names it
 * (members of anonymous structs and unions by their own names, members of named inline structs and
 * unions as dotted paths), so the oracle can also check the other direction: that offkern models every
 * member the headers declare.
 */
final class MingwDwarf {

    private static final Pattern DIE = Pattern.compile("^\\s*<(\\d+)><([0-9a-f]+)>: Abbrev Number: \\d+ \\((DW_TAG_\\w+)\\)");
    private static final Pattern ATTR = Pattern.compile("^\\s*<[0-9a-f]+>\\s+(DW_AT_\\w+)\\s*:\\s?(.*)$");
    private static final Pattern REF = Pattern.compile("<0x([0-9a-f]+)>");

    private static final class Die {
        final String tag;
        final Map<String, String> attrs = new HashMap<>();
        final List<Die> children = new ArrayList<>();

        Die(String tag) {
            this.tag = tag;
        }

        String name() {
            String n = attrs.get("DW_AT_name");
            if (n == null) {
                return null;
            }
            int i = n.lastIndexOf("): ");
            return n.startsWith("(indirect") && i >= 0 ? n.substring(i + 3).trim() : n.trim();
        }

        Long ref() {
            String t = attrs.get("DW_AT_type");
            if (t == null) {
                return null;
            }
            Matcher m = REF.matcher(t);
            return m.find() ? Long.parseLong(m.group(1), 16) : null;
        }
    }

    private final Map<Long, Die> byOffset = new HashMap<>();
    private final Map<String, Die> typedefs = new HashMap<>();

    /** Parses the text {@code objdump --dwarf=info} printed. */
    MingwDwarf(String objdumpOutput) {
        List<Die> stack = new ArrayList<>();
        Die current = null;
        for (String line : objdumpOutput.split("\n")) {
            Matcher d = DIE.matcher(line);
            if (d.find()) {
                int depth = Integer.parseInt(d.group(1));
                current = new Die(d.group(3));
                byOffset.put(Long.parseLong(d.group(2), 16), current);
                while (stack.size() > depth) {
                    stack.removeLast();
                }
                if (depth > 0 && stack.size() == depth) {
                    stack.getLast().children.add(current);
                }
                stack.add(current);
                continue;
            }
            Matcher a = ATTR.matcher(line);
            if (a.find() && current != null) {
                current.attrs.put(a.group(1), a.group(2));
            }
        }
        for (Die die : byOffset.values()) {
            if (die.tag.equals("DW_TAG_typedef") && die.name() != null) {
                typedefs.putIfAbsent(die.name(), die);
            }
        }
    }

    /** Every member path of the typedef {@code name} with its byte offset; empty if the typedef is unknown. */
    Map<String, Long> members(String name) {
        Map<String, Long> out = new LinkedHashMap<>();
        Die t = typedefs.get(name);
        Die type = t == null ? null : aggregate(t.ref(), true);
        if (type != null) {
            flatten(type, "", 0, out);
        }
        return out;
    }

    /** The struct/union a type reference leads to, through cv-qualifiers (and typedefs when asked). */
    private Die aggregate(Long ref, boolean throughTypedefs) {
        Die die = ref == null ? null : byOffset.get(ref);
        while (die != null && (die.tag.equals("DW_TAG_volatile_type") || die.tag.equals("DW_TAG_const_type")
                || (throughTypedefs && die.tag.equals("DW_TAG_typedef")))) {
            die = die.ref() == null ? null : byOffset.get(die.ref());
        }
        return die != null && (die.tag.equals("DW_TAG_structure_type") || die.tag.equals("DW_TAG_union_type")) ? die : null;
    }

    private static long location(String loc) {
        if (loc == null) {
            return 0;
        }
        Matcher m = Pattern.compile("DW_OP_plus_uconst: (\\d+)").matcher(loc);
        return m.find() ? Long.parseLong(m.group(1)) : Long.decode(loc.trim().split("\\s")[0]);
    }

    private void flatten(Die aggregate, String prefix, long base, Map<String, Long> out) {
        for (Die m : aggregate.children) {
            if (!m.tag.equals("DW_TAG_member")) {
                continue;
            }
            String loc = m.attrs.get("DW_AT_data_member_location");
            long offset = base + location(loc);
            Die inline = aggregate(m.ref(), false);
            boolean anonymousType = inline != null && inline.name() == null;
            String name = m.name();
            if (name == null) {
                if (anonymousType) {
                    flatten(inline, prefix, offset, out);
                }
                continue;
            }
            out.put(prefix + name, offset);
            if (anonymousType) {
                flatten(inline, prefix + name + ".", offset, out);
            }
        }
    }
}
