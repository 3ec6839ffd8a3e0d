package dev.switchyard.server.serving;

import dev.switchyard.engine.sampling.SamplerExtras;
import dev.switchyard.engine.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * llama.cpp's sampler settings as its clients send them (each null when absent), turned into
 * {@link SamplerExtras} with llama.cpp's defaults and "off" values, for either transport.
 */
public final class LlamaSamplers {

    /** llama.cpp's sequence breakers for DRY when a request names none. */
    public static final List<String> DEFAULT_DRY_BREAKERS = List.of("\n", ":", "\"", "*");

    private LlamaSamplers() {
    }

    /** The ids of the tokens whose text (as logprobs show it) holds any of {@code strings}. */
    public static Set<Integer> tokensContaining(Tokenizer tokenizer, List<String> strings) {
        Set<Integer> ids = new HashSet<>();
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            String text = new String(tokenizer.pieceBytes(id), StandardCharsets.UTF_8);
            for (String s : strings) {
                if (text.contains(s)) {
                    ids.add(id);
                    break;
                }
            }
        }
        return Set.copyOf(ids);
    }

    /**
     * @param prefix what the fields' names start with in errors ({@code ""} over HTTP,
     *               {@code "sampling."} over gRPC)
     * @param breakers DRY's sequence breakers, or null for llama.cpp's
     * @throws InvalidRequestException naming the field out of range
     */
    public static SamplerExtras extras(Double typicalP, Double topNSigma, Double xtcProbability, Double xtcThreshold,
                                       Double dryMultiplier, Double dryBase, Integer dryAllowedLength,
                                       Integer dryPenaltyLastN, List<String> breakers,
                                       Function<List<String>, Set<Integer>> breakerTokens, String prefix) {
        if (dryPenaltyLastN != null && dryPenaltyLastN < -1) {
            throw new InvalidRequestException(prefix + "dry_penalty_last_n", prefix + "dry_penalty_last_n must be -1 "
                    + "(the whole text), 0 (off) or more, got " + dryPenaltyLastN);
        }
        List<String> strings = breakers == null ? DEFAULT_DRY_BREAKERS : breakers;
        for (int i = 0; i < strings.size(); i++) {
            if (strings.get(i) == null || strings.get(i).isEmpty()) {
                throw new InvalidRequestException(prefix + "dry_sequence_breakers[" + i + "]",
                        "a sequence breaker must be a non-empty string");
            }
        }
        double multiplier = or(dryMultiplier, 0);
        boolean dryOn = multiplier > 0 && (dryPenaltyLastN == null || dryPenaltyLastN != 0);
        double threshold = or(xtcThreshold, 0.1);
        // as in llama.cpp, a threshold above 0.5 turns XTC off: no two tokens can both reach it
        boolean xtcOn = threshold <= 0.5;
        double sigma = or(topNSigma, -1);
        try {
            SamplerExtras.Dry dry = !dryOn ? SamplerExtras.Dry.OFF : new SamplerExtras.Dry(multiplier, or(dryBase, 1.75),
                    dryAllowedLength == null ? 2 : dryAllowedLength,
                    dryPenaltyLastN == null || dryPenaltyLastN == -1 ? 0 : dryPenaltyLastN,
                    breakerTokens.apply(strings));
            return new SamplerExtras(or(typicalP, 1), sigma > 0 ? sigma : 0, xtcOn ? or(xtcProbability, 0) : 0,
                    xtcOn ? threshold : 0.1, dry);
        } catch (IllegalArgumentException e) {
            // the engine's messages start with the field's name ("typical_p must be in (0, 1], got 0.0")
            String message = e.getMessage();
            int space = message.indexOf(' ');
            throw new InvalidRequestException(space > 0 ? prefix + message.substring(0, space) : null, prefix + message);
        }
    }

    private static double or(Double value, double fallback) {
        return value == null ? fallback : value;
    }
}
