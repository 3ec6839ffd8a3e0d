import dev.switchyard.proto.v1.GenerateRequest;
import dev.switchyard.proto.v1.GenerateResponse;
import dev.switchyard.proto.v1.GenerationGrpc;
import dev.switchyard.proto.v1.SamplingParams;
import dev.switchyard.proto.v1.TokenIds;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Decode throughput over gRPC, measured exactly as server/bench/http_bench.py measures it over HTTP
 * (and {@code switchyard bench} in process): B prompts of 128 random token ids, each generated with
 * one token and with 64 (greedy, ignore_eos, streamed); decode tok/s = B x 63 / (t_64 - t_1), best of
 * three after a warm-up. Run it against a running server with the server jar on the class path:
 *
 * <pre>
 *   ./switchyard serve --model bench.gguf --threads 2 &amp;
 *   java -cp server/target/switchyard.jar server/bench/GrpcBench.java [host:port] [streams,...]
 * </pre>
 */
public final class GrpcBench {

    private static final int PROMPT_TOKENS = 128;
    private static final int GEN_TOKENS = 64;
    private static final int REPEAT = 3;

    public static void main(String[] args) throws Exception {
        String target = args.length > 0 ? args[0] : "127.0.0.1:50051";
        String[] streams = (args.length > 1 ? args[1] : "1,16").split(",");
        String[] hostPort = target.split(":");
        ManagedChannel channel = NettyChannelBuilder.forAddress(hostPort[0], Integer.parseInt(hostPort[1]))
                .usePlaintext().build();
        GenerationGrpc.GenerationBlockingStub stub = GenerationGrpc.newBlockingStub(channel);
        Random random = new Random(42);
        try {
            for (String s : streams) {
                int b = Integer.parseInt(s);
                List<int[]> prompts = new ArrayList<>();
                for (int i = 0; i < b; i++) {
                    int[] p = new int[PROMPT_TOKENS];
                    for (int j = 0; j < p.length; j++) {
                        p[j] = 3 + random.nextInt(253); // byte tokens exist in every generated vocabulary
                    }
                    prompts.add(p);
                }
                run(stub, prompts, 1);
                run(stub, prompts, GEN_TOKENS);
                double t1 = Double.MAX_VALUE;
                double tn = Double.MAX_VALUE;
                for (int r = 0; r < REPEAT; r++) {
                    t1 = Math.min(t1, run(stub, prompts, 1));
                    tn = Math.min(tn, run(stub, prompts, GEN_TOKENS));
                }
                System.out.printf(Locale.ROOT, "%3d streams: %8.1f decode tok/s in all%n", b,
                        b * (GEN_TOKENS - 1) / Math.max(1e-9, tn - t1));
            }
        } finally {
            channel.shutdownNow();
        }
    }

    /** All prompts at once; returns the wall time in seconds. */
    private static double run(GenerationGrpc.GenerationBlockingStub stub, List<int[]> prompts, int maxTokens)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(prompts.size());
        try {
            long start = System.nanoTime();
            List<Future<Integer>> done = new ArrayList<>();
            for (int[] prompt : prompts) {
                done.add(pool.submit(() -> {
                    TokenIds.Builder ids = TokenIds.newBuilder();
                    for (int id : prompt) {
                        ids.addIds(id);
                    }
                    Iterator<GenerateResponse> it = stub.generate(GenerateRequest.newBuilder().setTokenIds(ids)
                            .setSampling(SamplingParams.newBuilder().setTemperature(0).setMaxTokens(maxTokens)
                                    .setIgnoreEos(true)).build());
                    int tokens = 0;
                    while (it.hasNext()) {
                        GenerateResponse r = it.next();
                        if (r.hasComplete()) {
                            tokens = r.getComplete().getUsage().getCompletionTokens();
                        }
                    }
                    return tokens;
                }));
            }
            for (Future<Integer> f : done) {
                if (f.get() != maxTokens) {
                    throw new IllegalStateException("a stream ended early");
                }
            }
            return (System.nanoTime() - start) / 1e9;
        } finally {
            pool.shutdownNow();
        }
    }
}
