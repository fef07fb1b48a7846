package dev.odpo.registry.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import org.apache.avro.Schema;

/**
 * A client for Confluent's Schema Registry REST API (content type {@code application/vnd.schemaregistry.v1+json}),
 * working against Confluent's registry and odpo's own {@code SchemaRegistryServer}. With several URLs, each
 * request tries them in order until one answers. Registry errors become {@link SchemaRegistryException} with the
 * {@code error_code} the registry sent; an unreachable registry is error code -1.
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {

    public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final String ACCEPT = CONTENT_TYPE + ", application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5";

    private final List<URI> baseUrls;
    private final String authorization;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();
    private final Duration requestTimeout;

    /** {@code userInfo} is "user:password" for HTTP basic auth, or null (then user info in a URL is used, if any). */
    public RestSchemaRegistryClient(List<String> urls, String userInfo) {
        this(urls, userInfo, Duration.ofSeconds(30));
    }

    public RestSchemaRegistryClient(List<String> urls, String userInfo, Duration requestTimeout) {
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("at least one schema registry URL is required");
        }
        List<URI> parsed = new ArrayList<>();
        String fromUrl = null;
        for (String u : urls) {
            URI uri = URI.create(u.endsWith("/") ? u.substring(0, u.length() - 1) : u);
            if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
                throw new IllegalArgumentException("schema registry URL must start with http:// or https://, got " + u);
            }
            if (uri.getUserInfo() != null) {
                fromUrl = uri.getUserInfo();
                uri = URI.create(uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
                        + (uri.getRawPath() == null ? "" : uri.getRawPath()));
            }
            parsed.add(uri);
        }
        this.baseUrls = List.copyOf(parsed);
        String credentials = userInfo != null ? userInfo : fromUrl;
        this.authorization = credentials == null ? null
                : "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
        this.requestTimeout = Objects.requireNonNull(requestTimeout);
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    @Override
    public int register(String subject, Schema schema) {
        return request("POST", "/subjects/" + enc(subject) + "/versions", schemaBody(schema)).path("id").asInt();
    }

    @Override
    public SchemaMetadata lookup(String subject, Schema schema) {
        return metadata(request("POST", "/subjects/" + enc(subject), schemaBody(schema)));
    }

    @Override
    public Schema getById(int id) {
        JsonNode node = request("GET", "/schemas/ids/" + id, null);
        String type = node.path("schemaType").asText("AVRO");
        if (!type.equals("AVRO")) {
            throw new SchemaRegistryException(SchemaRegistryException.INVALID_SCHEMA, "schema " + id + " is " + type + ", not AVRO");
        }
        return new Schema.Parser().parse(node.path("schema").asText());
    }

    @Override
    public List<String> subjects() {
        List<String> out = new ArrayList<>();
        request("GET", "/subjects", null).forEach(n -> out.add(n.asText()));
        return out;
    }

    @Override
    public List<Integer> versions(String subject) {
        List<Integer> out = new ArrayList<>();
        request("GET", "/subjects/" + enc(subject) + "/versions", null).forEach(n -> out.add(n.asInt()));
        return out;
    }

    @Override
    public SchemaMetadata version(String subject, int version) {
        return metadata(request("GET", "/subjects/" + enc(subject) + "/versions/" + version, null));
    }

    @Override
    public SchemaMetadata latest(String subject) {
        return metadata(request("GET", "/subjects/" + enc(subject) + "/versions/latest", null));
    }

    @Override
    public boolean isCompatible(String subject, Schema schema) {
        return request("POST", "/compatibility/subjects/" + enc(subject) + "/versions/latest", schemaBody(schema))
                .path("is_compatible").asBoolean();
    }

    @Override
    public String globalCompatibility() {
        return request("GET", "/config", null).path("compatibilityLevel").asText();
    }

    @Override
    public void setGlobalCompatibility(String level) {
        request("PUT", "/config", json.createObjectNode().put("compatibility", level));
    }

    @Override
    public String compatibility(String subject) {
        return request("GET", "/config/" + enc(subject) + "?defaultToGlobal=true", null).path("compatibilityLevel").asText();
    }

    @Override
    public void setCompatibility(String subject, String level) {
        request("PUT", "/config/" + enc(subject), json.createObjectNode().put("compatibility", level));
    }

    @Override
    public String toString() {
        return "RestSchemaRegistryClient" + baseUrls;
    }

    private ObjectNode schemaBody(Schema schema) {
        return json.createObjectNode().put("schema", schema.toString());
    }

    private static SchemaMetadata metadata(JsonNode n) {
        return new SchemaMetadata(n.path("subject").asText(), n.path("version").asInt(), n.path("id").asInt(), n.path("schema").asText());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private JsonNode request(String method, String path, JsonNode body) {
        String payload;
        try {
            payload = body == null ? null : json.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        SchemaRegistryException last = null;
        for (URI base : baseUrls) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(requestTimeout).header("Accept", ACCEPT)
                    .method(method, payload == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(payload));
            if (payload != null) {
                b.header("Content-Type", CONTENT_TYPE);
            }
            if (authorization != null) {
                b.header("Authorization", authorization);
            }
            HttpResponse<String> response;
            try {
                response = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                last = new SchemaRegistryException(SchemaRegistryException.UNREACHABLE,
                        "schema registry " + base + " unreachable: " + e, e);
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException(SchemaRegistryException.UNREACHABLE, "interrupted calling " + base + path, e);
            }
            return parse(method, base + path, response);
        }
        throw last;
    }

    private JsonNode parse(String method, String url, HttpResponse<String> response) {
        JsonNode node;
        try {
            node = response.body() == null || response.body().isBlank() ? json.nullNode() : json.readTree(response.body());
        } catch (JsonProcessingException e) {
            node = null;
        }
        int status = response.statusCode();
        if (status >= 200 && status < 300 && node != null) {
            return node;
        }
        if (node != null && node.has("error_code")) {
            throw new SchemaRegistryException(node.path("error_code").asInt(), node.path("message").asText());
        }
        String body = response.body() == null ? "" : response.body();
        throw new SchemaRegistryException(status >= 300 ? status : SchemaRegistryException.UNREACHABLE,
                method + " " + url + " answered HTTP " + status + ": " + body.substring(0, Math.min(200, body.length())));
    }
}
