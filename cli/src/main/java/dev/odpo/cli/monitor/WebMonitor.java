package dev.odpo.cli.monitor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The monitor as a web page: {@code /} is a self-contained page (no external scripts, so it works offline) that
 * polls {@code /state} every second and draws the loop's state with live charts; {@code /state} is the newest
 * {@link LoopState} as JSON, for scripts too. One request thread; read-only.
 */
public final class WebMonitor implements AutoCloseable {

    private static final String PAGE = "monitor.html";

    private final HttpServer server;
    private final ExecutorService requests;
    private final byte[] page;

    /**
     * Starts serving.
     *
     * @param bind  the address to listen on (127.0.0.1 unless the user says otherwise: the page has no login)
     * @param port  the port, or 0 for any free one
     * @param state the newest state, read on each request
     * @throws UncheckedIOException when the address cannot be bound (e.g. the port is in use)
     */
    public WebMonitor(String bind, int port, Supplier<LoopState> state) {
        ObjectMapper json = new ObjectMapper();
        try (InputStream in = WebMonitor.class.getResourceAsStream(PAGE)) {
            page = in.readAllBytes();
            server = HttpServer.create(new InetSocketAddress(bind, port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + bind + ":" + port + " (" + e.getMessage() + ")", e);
        }
        server.createContext("/", exchange -> {
            try (exchange) {
                String path = exchange.getRequestURI().getPath();
                if (!exchange.getRequestMethod().equals("GET")) {
                    send(exchange, 405, "text/plain", "read-only\n".getBytes());
                } else if (path.equals("/") || path.equals("/index.html")) {
                    send(exchange, 200, "text/html; charset=utf-8", page);
                } else if (path.equals("/state")) {
                    LoopState s = state.get();
                    send(exchange, s == null ? 503 : 200, "application/json",
                            s == null ? "{}".getBytes() : json.writeValueAsBytes(s));
                } else {
                    send(exchange, 404, "text/plain", "not found\n".getBytes());
                }
            }
        });
        requests = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "odpo-monitor-web");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(requests);
        server.start();
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /** The address the page is served on, e.g. http://127.0.0.1:8090/. */
    public String url() {
        InetSocketAddress a = server.getAddress();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + "/";
    }

    @Override
    public void close() {
        server.stop(0);
        requests.shutdownNow();
    }
}
