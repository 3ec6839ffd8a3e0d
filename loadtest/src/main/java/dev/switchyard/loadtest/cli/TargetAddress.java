package dev.switchyard.loadtest.cli;

import dev.switchyard.loadtest.target.ApiKind;
import dev.switchyard.loadtest.target.GrpcTarget;
import dev.switchyard.loadtest.target.OpenAiHttpTarget;
import dev.switchyard.loadtest.target.Target;
import java.net.URI;

/** The server to drive, as the command line named it: {@code --url} (with {@code --api}) or {@code --grpc}. */
sealed interface TargetAddress {

    /**
     * Connects to the server.
     *
     * @param maxConcurrentStreams the most requests the run will hold open at once
     * @param callbackThreads threads that run the stream callbacks, shared by all streams
     */
    Target open(int maxConcurrentStreams, int callbackThreads);

    /** What {@code config.api} records: {@code completions}, {@code chat} or {@code grpc}. */
    String apiLabel();

    /** The Prometheus page scraped when {@code --metrics-url} is not given; null when there is none to guess. */
    URI defaultMetricsUrl();

    /**
     * An OpenAI-compatible HTTP server; HTTP/1.1 opens one connection per stream, whatever the
     * concurrency. {@code apiKey}: sent as a bearer token; null for none.
     */
    record Http(URI url, ApiKind api, String apiKey) implements TargetAddress {
        @Override
        public Target open(int maxConcurrentStreams, int callbackThreads) {
            return new OpenAiHttpTarget(url, api, callbackThreads, apiKey);
        }

        @Override
        public String apiLabel() {
            return api.label();
        }

        @Override
        public URI defaultMetricsUrl() {
            return URI.create(url.toString().replaceAll("/+$", "") + "/metrics");
        }
    }

    /**
     * Switchyard's gRPC API. Its metrics are on the HTTP port, which the gRPC address does not tell.
     * {@code apiKey}: sent as {@code authorization} metadata; null for none.
     */
    record Grpc(String host, int port, String apiKey) implements TargetAddress {
        @Override
        public Target open(int maxConcurrentStreams, int callbackThreads) {
            return new GrpcTarget(host, port, maxConcurrentStreams, callbackThreads, apiKey);
        }

        @Override
        public String apiLabel() {
            return "grpc";
        }

        @Override
        public URI defaultMetricsUrl() {
            return null;
        }

        /** {@code HOST:PORT}, the host possibly a bracketed IPv6 literal; null when {@code text} is not that. */
        static Grpc parse(String text, String apiKey) {
            int colon = text.lastIndexOf(':');
            if (colon <= 0 || colon == text.length() - 1) {
                return null;
            }
            String host = text.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            } else if (host.contains(":")) {
                return null;
            }
            int port;
            try {
                port = Integer.parseInt(text.substring(colon + 1));
            } catch (NumberFormatException e) {
                return null;
            }
            return port >= 1 && port <= 65535 && !host.isBlank() ? new Grpc(host, port, apiKey) : null;
        }
    }
}
