package dev.odpo.registry.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.odpo.registry.client.SchemaMetadata;
import dev.odpo.registry.client.SchemaRegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Routes Confluent REST API requests to the {@link SchemaRegistry}; errors answer {"error_code", "message"}. */
final class RegistryHttpHandler implements HttpHandler {

    private static final Logger log = LoggerFactory.getLogger(RegistryHttpHandler.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final int MAX_BODY = 4 * 1024 * 1024;

    private final SchemaRegistry registry;
    private final ObjectMapper json = new ObjectMapper();

    RegistryHttpHandler(SchemaRegistry registry) {
        this.registry = registry;
    }

    /** An HTTP-level error that is not one of the registry's own (bad route, bad method, bad body). */
    private static final class HttpError extends RuntimeException {
        final int status;

        HttpError(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getRawPath();
        String query = exchange.getRequestURI().getRawQuery();
        try {
            JsonNode response = route(method, segments(path), query == null ? "" : query, exchange);
            send(exchange, 200, response);
            log.debug("{} {} -> 200", method, path);
        } catch (SchemaRegistryException e) {
            send(exchange, e.httpStatus(), error(e.errorCode(), e.getMessage()));
            log.debug("{} {} -> {} {}", method, path, e.errorCode(), e.getMessage());
        } catch (HttpError e) {
            send(exchange, e.status, error(e.status, e.getMessage()));
        } catch (RuntimeException e) {
            log.error("{} {} failed", method, path, e);
            send(exchange, 500, error(50001, "Error in the backend data store: " + e));
        } finally {
            exchange.close();
        }
    }

    private JsonNode route(String method, List<String> p, String query, HttpExchange ex) throws IOException {
        int n = p.size();
        if (n == 0) {
            return only(method, "GET", json.createObjectNode());
        }
        switch (p.get(0)) {
            case "schemas":
                if (n == 2 && p.get(1).equals("types")) {
                    return only(method, "GET", json.createArrayNode().add("AVRO"));
                }
                if (n >= 3 && p.get(1).equals("ids")) {
                    int id = parseId(p.get(2));
                    if (n == 3) {
                        only(method, "GET", null);
                        return json.createObjectNode().put("schema", registry.schemaText(id));
                    }
                    if (n == 4 && p.get(3).equals("subjects")) {
                        only(method, "GET", null);
                        return strings(registry.subjectsOf(id));
                    }
                }
                break;
            case "subjects":
                if (n == 1) {
                    return only(method, "GET", strings(registry.subjects()));
                }
                String subject = p.get(1);
                if (n == 2) {
                    only(method, "POST", null);
                    return metadata(registry.lookup(subject, schemaOf(ex)));
                }
                if (p.get(2).equals("versions")) {
                    if (n == 3 && method.equals("POST")) {
                        return json.createObjectNode().put("id", registry.register(subject, schemaOf(ex)));
                    }
                    if (n == 3) {
                        only(method, "GET", null);
                        ArrayNode a = json.createArrayNode();
                        registry.versions(subject).forEach(a::add);
                        return a;
                    }
                    SchemaMetadata m = version(subject, p.get(3));
                    if (n == 4) {
                        only(method, "GET", null);
                        return metadata(m);
                    }
                    if (n == 5 && p.get(4).equals("schema")) {
                        only(method, "GET", null);
                        return json.readTree(m.schema());
                    }
                }
                break;
            case "compatibility":
                if (n >= 4 && p.get(1).equals("subjects") && p.get(3).equals("versions") && n <= 5) {
                    only(method, "POST", null);
                    String schema = schemaOf(ex);
                    // "latest" (or no version) checks what registering would check: the versions the level covers.
                    Integer v = n == 5 && !isLatest(p.get(4)) ? parseVersion(p.get(4)) : null;
                    List<String> problems = registry.compatibilityProblems(p.get(2), schema, v);
                    ObjectNode out = json.createObjectNode().put("is_compatible", problems.isEmpty());
                    if (query.contains("verbose=true")) {
                        out.set("messages", strings(problems));
                    }
                    return out;
                }
                break;
            case "config":
                if (n == 1) {
                    if (method.equals("PUT")) {
                        String level = levelOf(ex);
                        registry.setGlobalCompatibility(level);
                        return json.createObjectNode().put("compatibility", registry.globalCompatibility());
                    }
                    return only(method, "GET", json.createObjectNode().put("compatibilityLevel", registry.globalCompatibility()));
                }
                if (n == 2) {
                    String subject2 = p.get(1);
                    switch (method) {
                        case "PUT" -> {
                            registry.setCompatibility(subject2, levelOf(ex));
                            return json.createObjectNode().put("compatibility", registry.compatibility(subject2));
                        }
                        case "DELETE" -> {
                            return json.createObjectNode().put("compatibilityLevel", registry.deleteCompatibility(subject2));
                        }
                        case "GET" -> {
                            String level = query.contains("defaultToGlobal=true")
                                    ? registry.compatibility(subject2) : registry.subjectCompatibility(subject2);
                            return json.createObjectNode().put("compatibilityLevel", level);
                        }
                        default -> throw new HttpError(405, "HTTP 405 Method Not Allowed");
                    }
                }
                break;
            default:
                break;
        }
        throw new HttpError(404, "HTTP 404 Not Found");
    }

    private SchemaMetadata version(String subject, String v) {
        return isLatest(v) ? registry.latest(subject) : registry.version(subject, parseVersion(v));
    }

    private static boolean isLatest(String v) {
        return v.equals("latest") || v.equals("-1");
    }

    private static int parseVersion(String v) {
        try {
            int i = Integer.parseInt(v);
            if (i >= 1) {
                return i;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new SchemaRegistryException(SchemaRegistryException.INVALID_VERSION, "The specified version '" + v
                + "' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
    }

    private static int parseId(String id) {
        try {
            return Integer.parseInt(id);
        } catch (NumberFormatException e) {
            throw new SchemaRegistryException(SchemaRegistryException.SCHEMA_NOT_FOUND, "Schema " + id + " not found");
        }
    }

    private <T extends JsonNode> T only(String method, String allowed, T response) {
        if (!method.equals(allowed)) {
            throw new HttpError(405, "HTTP 405 Method Not Allowed");
        }
        return response;
    }

    private JsonNode body(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY + 1);
            if (bytes.length > MAX_BODY) {
                throw new HttpError(413, "request body larger than " + MAX_BODY + " bytes");
            }
            return json.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new HttpError(400, "request body is not JSON: " + e.getOriginalMessage());
        }
    }

    private String schemaOf(HttpExchange ex) throws IOException {
        JsonNode b = body(ex);
        if (b == null || !b.path("schema").isTextual()) {
            throw new SchemaRegistryException(SchemaRegistryException.INVALID_SCHEMA, "Invalid schema: the body must be {\"schema\": \"<schema JSON as a string>\"}");
        }
        String type = b.path("schemaType").asText("AVRO");
        if (!type.equals("AVRO")) {
            throw new SchemaRegistryException(SchemaRegistryException.INVALID_SCHEMA, "Invalid schema type " + type + ": this registry serves AVRO only");
        }
        if (b.path("references").isArray() && !b.path("references").isEmpty()) {
            throw new SchemaRegistryException(SchemaRegistryException.INVALID_SCHEMA, "Invalid schema: schema references are not supported");
        }
        return b.path("schema").asText();
    }

    private String levelOf(HttpExchange ex) throws IOException {
        JsonNode b = body(ex);
        String level = b == null ? null : b.path("compatibility").asText(b.path("compatibilityLevel").asText(null));
        return CompatibilityLevel.parse(level).name();
    }

    private ObjectNode metadata(SchemaMetadata m) {
        return json.createObjectNode().put("subject", m.subject()).put("version", m.version()).put("id", m.id()).put("schema", m.schema());
    }

    private ArrayNode strings(List<String> values) {
        ArrayNode a = json.createArrayNode();
        values.forEach(a::add);
        return a;
    }

    private ObjectNode error(int code, String message) {
        return json.createObjectNode().put("error_code", code).put("message", message);
    }

    private static List<String> segments(String rawPath) {
        List<String> out = new ArrayList<>();
        Arrays.stream(rawPath.split("/")).filter(s -> !s.isEmpty())
                .forEach(s -> out.add(URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8)));
        return out;
    }

    private void send(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = json.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(bytes);
        }
    }
}
