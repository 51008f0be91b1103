package dev.offkern.cli;

import dev.offkern.layout.Abi;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Structure layouts read from a file, for {@code offkern layouts --diff}: offkern's own JSON (format
 * 2, or the format-1 output of earlier versions) or a Volatility 3 ISF (a symbol pack for some
 * Windows build, or offkern's {@code --format isf}). Plain or gzip-compressed ({@code .gz}).
 *
 * <p>Members are addressed by dotted C paths, as offkern names them ({@code Tail.Overlay.ListEntry}).
 * In an ISF, a path goes through the user types its members reference: members of anonymous
 * members ({@code "anonymous": true}) count as the parent's, a named struct or union member is
 * followed into its user type (offsets add up), and a struct or union whose name says it has none
 * ({@code __unnamed_...}, {@code <unnamed-tag>}, offkern's {@code _OUTER::member}) is listed with its
 * members, as offkern lists a named inline member.
 */
final class LayoutFile {

    /** One member: offset from the start of the outermost structure, size (-1 unknown), bits (-1/0 if none). */
    record Member(String path, long offset, long size, int bitOffset, int bitWidth) {
    }

    /** One structure in the file. */
    interface Struct {
        long size();

        /** The member at dotted {@code path}, if the file has it. */
        Optional<Member> member(String path);

        /** Every member the file lists at the structure's levels (named inline members expanded), in file order. */
        List<Member> members();
    }

    private final String source;
    private final Abi abi;
    private final String kind;
    private final Map<String, Struct> structs;

    private LayoutFile(String source, Abi abi, String kind, Map<String, Struct> structs) {
        this.source = source;
        this.abi = abi;
        this.kind = kind;
        this.structs = structs;
    }

    /** The file's name as given. */
    String source() {
        return source;
    }

    /** The ABI the file describes. */
    Abi abi() {
        return abi;
    }

    /** {@code "offkern JSON"} or {@code "Volatility ISF"}. */
    String kind() {
        return kind;
    }

    /** The structure offkern calls {@code name} ({@code _NAME} in an ISF), if the file has it. */
    Optional<Struct> struct(String name) {
        Struct s = structs.get(name);
        if (s == null) {
            s = structs.get("_" + name);
        }
        return Optional.ofNullable(s);
    }

    /** How many structures the file describes. */
    int size() {
        return structs.size();
    }

    /**
     * Reads {@code path}.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it (missing, not JSON,
     *                                  neither format, no ABI)
     */
    static LayoutFile read(Path path) {
        JsonNode root;
        try (InputStream raw = Files.newInputStream(path);
             InputStream in = path.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
            root = JsonMapper.builder().build().readTree(in);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no such file: " + path);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + path + ": " + e.getMessage());
        } catch (JacksonException e) {
            throw new IllegalArgumentException(path + " is not JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")" : ""));
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(path + " holds no JSON object");
        }
        if (root.has("user_types")) {
            return isf(path.toString(), root);
        }
        if (root.path("format").asString("").equals("offkern-layouts") || root.has("structs") && root.has("abi")) {
            return offkern(path.toString(), root);
        }
        throw new IllegalArgumentException(path + " is neither offkern's layouts JSON (\"format\": \"offkern-layouts\")"
                + " nor a Volatility ISF (\"user_types\")");
    }

    // ---- offkern's JSON ------------------------------------------------------------------------------

    private static LayoutFile offkern(String source, JsonNode root) {
        String abiName = root.has("format") ? root.path("metadata").path("abi").path("name").asString("")
                : root.path("abi").asString("");
        Abi abi;
        try {
            abi = Abi.parse(abiName);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage());
        }
        Map<String, Struct> structs = new LinkedHashMap<>();
        for (String list : List.of("structs", "types")) {
            for (JsonNode s : root.path(list)) {
                Map<String, Member> members = new LinkedHashMap<>();
                collect(s.path("fields"), members);
                long size = s.path("size").asLong(-1);
                structs.putIfAbsent(s.path("name").asString(""), new Struct() {
                    @Override
                    public long size() {
                        return size;
                    }

                    @Override
                    public Optional<Member> member(String path) {
                        return Optional.ofNullable(members.get(path));
                    }

                    @Override
                    public List<Member> members() {
                        return List.copyOf(members.values());
                    }
                });
            }
        }
        return new LayoutFile(source, abi, "offkern JSON", structs);
    }

    private static void collect(JsonNode fields, Map<String, Member> into) {
        for (JsonNode f : fields) {
            String path = f.has("path") ? f.path("path").asString() : f.path("name").asString();
            into.put(path, new Member(path, f.path("offset").asLong(), f.path("size").asLong(-1),
                    f.path("bitOffset").asInt(-1), f.path("bitWidth").asInt(0)));
            if (f.has("fields")) {
                collect(f.path("fields"), into);
            }
        }
    }

    // ---- Volatility ISF ------------------------------------------------------------------------------

    private static LayoutFile isf(String source, JsonNode root) {
        JsonNode bases = root.path("base_types");
        JsonNode users = root.path("user_types");
        int pointer = bases.path("pointer").path("size").asInt(0);
        Abi abi = switch (pointer) {
            case 8 -> Abi.X64;
            case 4 -> Abi.X86;
            default -> throw new IllegalArgumentException(source + ": cannot tell the ABI (base_types has no"
                    + " 'pointer' of size 4 or 8)");
        };
        Isf isf = new Isf(bases, users, root.path("enums"));
        Map<String, Struct> structs = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : users.properties()) {
            String name = e.getKey();
            if (Isf.isUnnamed(name)) {
                continue;
            }
            structs.put(name, new Struct() {
                @Override
                public long size() {
                    return e.getValue().path("size").asLong(-1);
                }

                @Override
                public Optional<Member> member(String path) {
                    return isf.resolve(e.getValue(), path);
                }

                @Override
                public List<Member> members() {
                    List<Member> out = new ArrayList<>();
                    isf.expand(e.getValue(), "", 0, out, 0);
                    return out;
                }
            });
        }
        return new LayoutFile(source, abi, "Volatility ISF", structs);
    }

    /** Navigation of an ISF's user types. */
    private record Isf(JsonNode bases, JsonNode users, JsonNode enums) {

        /** Nesting limit: a self-referencing anonymous member must not loop. */
        private static final int MAX_DEPTH = 32;

        static boolean isUnnamed(String typeName) {
            return typeName.contains("::") || typeName.startsWith("__unnamed") || typeName.contains("<unnamed")
                    || typeName.startsWith("__anonymous");
        }

        Optional<Member> resolve(JsonNode type, String path) {
            long offset = 0;
            JsonNode current = type;
            String[] segments = path.split("\\.");
            for (int i = 0; i < segments.length; i++) {
                Optional<Found> found = find(current, segments[i], 0);
                if (found.isEmpty()) {
                    return Optional.empty();
                }
                offset += found.get().offset();
                JsonNode descriptor = found.get().field().path("type");
                if (i + 1 == segments.length) {
                    return Optional.of(member(path, offset, descriptor));
                }
                current = users.get(descriptor.path("name").asString(""));
                if (current == null) {
                    return Optional.empty();
                }
            }
            return Optional.empty();
        }

        private record Found(JsonNode field, long offset) {
        }

        /** The field {@code name} of {@code type}, looking inside anonymous members too. */
        private Optional<Found> find(JsonNode type, String name, int depth) {
            JsonNode fields = type.path("fields");
            JsonNode direct = fields.get(name);
            if (direct != null) {
                return Optional.of(new Found(direct, direct.path("offset").asLong()));
            }
            if (depth > MAX_DEPTH) {
                return Optional.empty();
            }
            for (Map.Entry<String, JsonNode> f : fields.properties()) {
                if (f.getValue().path("anonymous").asBoolean(false)) {
                    JsonNode inner = users.get(f.getValue().path("type").path("name").asString(""));
                    if (inner != null) {
                        Optional<Found> deep = find(inner, name, depth + 1);
                        if (deep.isPresent()) {
                            return Optional.of(new Found(deep.get().field(),
                                    f.getValue().path("offset").asLong() + deep.get().offset()));
                        }
                    }
                }
            }
            return Optional.empty();
        }

        void expand(JsonNode type, String prefix, long base, List<Member> out, int depth) {
            if (depth > MAX_DEPTH) {
                return;
            }
            for (Map.Entry<String, JsonNode> f : type.path("fields").properties()) {
                JsonNode d = f.getValue().path("type");
                long offset = base + f.getValue().path("offset").asLong();
                JsonNode inner = users.get(d.path("name").asString(""));
                if (f.getValue().path("anonymous").asBoolean(false) && inner != null) {
                    expand(inner, prefix, offset, out, depth + 1);
                    continue;
                }
                String path = prefix + f.getKey();
                out.add(member(path, offset, d));
                if (inner != null && isUnnamed(d.path("name").asString(""))) {
                    expand(inner, path + ".", offset, out, depth + 1);
                }
            }
        }

        private Member member(String path, long offset, JsonNode d) {
            if (d.path("kind").asString("").equals("bitfield")) {
                return new Member(path, offset, size(d.path("type")), d.path("bit_position").asInt(),
                        d.path("bit_length").asInt());
            }
            return new Member(path, offset, size(d), -1, 0);
        }

        /** The size of what {@code d} describes, or -1 if the file does not say. */
        private long size(JsonNode d) {
            return switch (d.path("kind").asString("")) {
                case "base" -> bases.path(d.path("name").asString("")).path("size").asLong(-1);
                case "pointer" -> bases.path("pointer").path("size").asLong(-1);
                case "array" -> {
                    long element = size(d.path("subtype"));
                    yield element < 0 ? -1 : element * d.path("count").asLong();
                }
                case "struct", "union", "class" -> users.path(d.path("name").asString("")).path("size").asLong(-1);
                case "bitfield" -> size(d.path("type"));
                case "enum" -> enums.path(d.path("name").asString("")).path("size").asLong(-1);
                default -> -1;
            };
        }
    }
}
