package dev.offkern.layout.render;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * JSON Schema validation (networknt json-schema-validator, draft 2020-12) and parsing (Jackson)
 * for the renderer tests. Schemas are read from the class path: offkern's own format schema ships in
 * the jar, the ISF rules are a test resource.
 */
final class Schemas {

    static final JsonMapper JSON = JsonMapper.builder().build();

    /** The schema of {@code offkern layouts --format json}, as shipped in the jar. */
    static final Schema OFFKERN_LAYOUTS = load("/dev/offkern/layout/render/offkern-layouts.schema.json");

    /** The rules of Volatility 3's ISF 6.2.0 (see docs/layouts-isf.md). */
    static final Schema ISF_RULES = load("/dev/offkern/layout/render/isf-6.2.0.rules.schema.json");

    private Schemas() {
    }

    static Schema load(String resource) {
        try (InputStream in = Schemas.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no schema resource " + resource);
            }
            return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every violation of {@code schema} by {@code json}, one line each (empty when valid). */
    static List<String> violations(Schema schema, String json) {
        List<Error> errors = schema.validate(json, InputFormat.JSON);
        return errors.stream().map(e -> e.getInstanceLocation() + ": " + e.getMessage()).toList();
    }

    static JsonNode parse(String json) {
        return JSON.readTree(json);
    }
}
