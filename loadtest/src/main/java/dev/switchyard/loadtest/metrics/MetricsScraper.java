package dev.switchyard.loadtest.metrics;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** Reads a Prometheus text page over HTTP (the server's {@code /metrics}). */
public final class MetricsScraper {

    private final URI url;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public MetricsScraper(URI url) {
        this.url = url;
    }

    public URI url() {
        return url;
    }

    public Map<String, Double> scrape() throws IOException, InterruptedException {
        HttpResponse<String> response = client.send(
                HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + url + " answered " + response.statusCode());
        }
        return PrometheusText.parse(response.body());
    }
}
