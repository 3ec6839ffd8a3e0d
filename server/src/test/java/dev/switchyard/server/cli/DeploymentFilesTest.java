package dev.switchyard.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.switchyard.server.serving.ServingMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * No Docker engine or cluster runs here, so the Dockerfile and the Kubernetes manifests are checked
 * against the code instead: every file the image copies exists or is a build output the poms name,
 * and ports, health path, entry point, environment variables and drain timing agree with what
 * {@code serve} actually does.
 */
class DeploymentFilesTest {

    private static final Path ROOT = repositoryRoot();
    private static final CommandSpec SERVE = new CommandLine(new ServeCommand()).getCommandSpec();
    /** Variables that configure something other than a serve flag. */
    private static final Set<String> OTHER_VARIABLES = Set.of("SWITCHYARD_CACHE");

    private static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("Dockerfile"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new AssertionError("no Dockerfile above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    private static String serveDefault(String option) {
        OptionSpec spec = SERVE.findOption(option);
        assertThat(spec).as("serve has %s", option).isNotNull();
        return spec.defaultValue();
    }

    private static List<String> dockerfile() throws IOException {
        // join continuation lines, drop comments
        String text = Files.readString(ROOT.resolve("Dockerfile")).replaceAll("\\\\\\n", " ");
        List<String> lines = new ArrayList<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (!l.isEmpty() && !l.startsWith("#")) {
                lines.add(l);
            }
        }
        return lines;
    }

    @Test
    void everyPathTheDockerfileCopiesExistsOrIsABuildOutput() throws IOException {
        String serverPom = Files.readString(ROOT.resolve("server/pom.xml"));
        String loadtestPom = Files.readString(ROOT.resolve("loadtest/pom.xml"));
        int copies = 0;
        for (String line : dockerfile()) {
            if (!line.startsWith("COPY ")) {
                continue;
            }
            List<String> words = new ArrayList<>(List.of(line.substring(5).trim().split("\\s+")));
            String from = null;
            while (words.getFirst().startsWith("--")) {
                String flag = words.removeFirst();
                if (flag.startsWith("--from=")) {
                    from = flag.substring("--from=".length());
                }
            }
            List<String> sources = words.subList(0, words.size() - 1);
            for (String source : sources) {
                copies++;
                if (from == null) {
                    assertThat(ROOT.resolve(source)).as("COPY source %s", source).exists();
                } else if (source.startsWith("/src/")) {
                    String path = source.substring("/src/".length());
                    // build outputs: the jars the poms name
                    switch (path) {
                        case "server/target/switchyard.jar" -> assertThat(serverPom).contains("<finalName>switchyard</finalName>");
                        case "loadtest/target/switchyard-loadtest.jar" ->
                                assertThat(loadtestPom).contains("<finalName>switchyard-loadtest</finalName>");
                        default -> throw new AssertionError("COPY of an unknown build output " + source);
                    }
                }
            }
        }
        assertThat(copies).isGreaterThan(8);
        // the fatbins from the kernels stage reach the jar through a property the kernels build reads
        assertThat(String.join("\n", dockerfile())).contains("-Dswitchyard.fatbin.dir=/fatbin");
        assertThat(Files.readString(ROOT.resolve("kernels/pom.xml"))).contains("switchyard.fatbin.dir");
        assertThat(Files.readString(ROOT.resolve("kernels/build-fatbin.sh"))).contains("-fatbin");
    }

    @Test
    void portsHealthCheckEntrypointAndEnvironmentMatchServe() throws IOException {
        List<String> lines = dockerfile();
        String all = String.join("\n", lines);
        String httpPort = serveDefault("--port");
        String grpcPort = serveDefault("--grpc-port");
        assertThat(lines).contains("EXPOSE " + httpPort + " " + grpcPort);
        assertThat(all).contains("curl -fsS http://127.0.0.1:" + httpPort + "/health");

        Matcher entry = Pattern.compile("ENTRYPOINT \\[(.*)]").matcher(all);
        assertThat(entry.find()).isTrue();
        List<String> argv = new ArrayList<>();
        for (String part : entry.group(1).split(",")) {
            argv.add(part.strip().replaceAll("^\"|\"$", ""));
        }
        assertThat(argv.getLast()).isEqualTo("serve");
        assertThat(new CommandLine(new SwitchyardCli()).getSubcommands()).containsKey("serve");
        assertThat(argv).containsSubsequence("--add-modules", "jdk.incubator.vector");
        assertThat(argv).containsSubsequence("-jar", "/opt/switchyard/switchyard.jar");
        assertThat(all).contains("/opt/switchyard/switchyard.jar").contains("USER switchyard");

        Map<String, String> env = new HashMap<>();
        Matcher vars = Pattern.compile("(SWITCHYARD_[A-Z_]+)=(\\S+)").matcher(all);
        while (vars.find()) {
            env.put(vars.group(1), vars.group(2));
        }
        assertThat(env).containsEntry("SWITCHYARD_PORT", httpPort).containsEntry("SWITCHYARD_GRPC_PORT", grpcPort)
                .containsEntry("SWITCHYARD_HOST", "0.0.0.0");
        for (String name : env.keySet()) {
            assertThat(isServeVariable(name) || OTHER_VARIABLES.contains(name)).as("%s is a serve flag's twin", name).isTrue();
        }
    }

    private static boolean isServeVariable(String name) {
        return SERVE.options().stream().filter(o -> o.longestName().startsWith("--"))
                .anyMatch(o -> EnvironmentDefaults.variableFor(o.longestName()).equals(name));
    }

    private static JsonNode yaml(String file) throws IOException {
        return new YAMLMapper().readTree(ROOT.resolve("deploy/kubernetes").resolve(file).toFile());
    }

    @Test
    void kubernetesManifestsAgreeWithTheServer() throws IOException {
        JsonNode pod = yaml("deployment.yaml").path("spec").path("template").path("spec");
        JsonNode container = pod.path("containers").get(0);
        Map<String, Integer> ports = new HashMap<>();
        container.path("ports").forEach(p -> ports.put(p.get("name").asText(), p.get("containerPort").asInt()));
        assertThat(ports).containsEntry("http", Integer.parseInt(serveDefault("--port")))
                .containsEntry("grpc", Integer.parseInt(serveDefault("--grpc-port")));
        for (String probe : List.of("startupProbe", "readinessProbe")) {
            assertThat(container.path(probe).path("httpGet").path("path").asText()).as(probe).isEqualTo("/health");
            assertThat(container.path(probe).path("httpGet").path("port").asText()).as(probe).isEqualTo("http");
        }
        assertThat(container.path("livenessProbe").path("tcpSocket").path("port").asText()).isEqualTo("http");
        assertThat(container.path("resources").path("limits").has("nvidia.com/gpu")).isTrue();

        Map<String, String> env = new HashMap<>();
        container.path("env").forEach(e -> env.put(e.get("name").asText(), e.path("value").asText(null)));
        for (String name : env.keySet()) {
            assertThat(isServeVariable(name)).as("%s is a serve flag's twin", name).isTrue();
        }
        assertThat(env.get("SWITCHYARD_PORT")).isEqualTo(serveDefault("--port"));
        assertThat(env.get("SWITCHYARD_GRPC_PORT")).isEqualTo(serveDefault("--grpc-port"));
        // the kubelet must wait for preStop plus the whole drain, or it kills requests mid-drain
        Duration drain = new Units.DurationConverter().convert(env.get("SWITCHYARD_DRAIN_TIMEOUT"));
        JsonNode preStop = container.path("lifecycle").path("preStop").path("exec").path("command");
        assertThat(preStop.get(0).asText()).isEqualTo("sleep");
        long grace = pod.path("terminationGracePeriodSeconds").asLong();
        assertThat(grace).isGreaterThan(preStop.get(1).asLong() + drain.toSeconds());

        JsonNode service = yaml("service.yaml").path("spec");
        service.path("ports").forEach(p -> {
            assertThat(ports).containsKey(p.get("targetPort").asText());
            assertThat(p.get("port").asInt()).isEqualTo(ports.get(p.get("targetPort").asText()));
        });
        assertThat(service.path("selector")).isEqualTo(yaml("deployment.yaml").path("spec").path("selector").path("matchLabels"));

        JsonNode hpa = yaml("hpa.yaml").path("spec");
        assertThat(hpa.path("scaleTargetRef").path("name").asText())
                .isEqualTo(yaml("deployment.yaml").path("metadata").path("name").asText());
        String metric = hpa.path("metrics").get(0).path("pods").path("metric").path("name").asText();
        assertThat(new ServingMetrics("m", () -> null).scrape()).contains(metric + "{model=\"m\"}");
    }
}
