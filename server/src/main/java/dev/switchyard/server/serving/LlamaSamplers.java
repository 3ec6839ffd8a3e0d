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
 * {@link SamplerExtras} with llama.cpp's defaults and "off" values, for either transport. One
 * default differs: without {@code repeat_last_n} the penalties look at the whole text, as OpenAI's
 * and vLLM's do (llama.cpp's is 64).
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
     * The settings as a request spells them, each null when absent.
     *
     * @param drySequenceBreakers DRY's sequence breakers, or null for llama.cpp's
     * @param repeatLastN         how many of the last tokens the penalties see: -1 the whole text, 0 off
     */
    public record Settings(Double typicalP, Double topNSigma, Double xtcProbability, Double xtcThreshold,
                           Double dryMultiplier, Double dryBase, Integer dryAllowedLength, Integer dryPenaltyLastN,
                           List<String> drySequenceBreakers, Integer mirostat, Double mirostatTau, Double mirostatEta,
                           Double dynatempRange, Double dynatempExponent, Integer repeatLastN) {
    }

    /**
     * @param prefix what the fields' names start with in errors ({@code ""} over HTTP,
     *               {@code "sampling."} over gRPC)
     * @throws InvalidRequestException naming the field out of range
     */
    public static SamplerExtras extras(Settings s, Function<List<String>, Set<Integer>> breakerTokens, String prefix) {
        Integer dryPenaltyLastN = s.dryPenaltyLastN();
        if (dryPenaltyLastN != null && dryPenaltyLastN < -1) {
            throw new InvalidRequestException(prefix + "dry_penalty_last_n", prefix + "dry_penalty_last_n must be -1 "
                    + "(the whole text), 0 (off) or more, got " + dryPenaltyLastN);
        }
        List<String> strings = s.drySequenceBreakers() == null ? DEFAULT_DRY_BREAKERS : s.drySequenceBreakers();
        for (int i = 0; i < strings.size(); i++) {
            if (strings.get(i) == null || strings.get(i).isEmpty()) {
                throw new InvalidRequestException(prefix + "dry_sequence_breakers[" + i + "]",
                        "a sequence breaker must be a non-empty string");
            }
        }
        double multiplier = or(s.dryMultiplier(), 0);
        boolean dryOn = multiplier > 0 && (dryPenaltyLastN == null || dryPenaltyLastN != 0);
        double threshold = or(s.xtcThreshold(), 0.1);
        // as in llama.cpp, a threshold above 0.5 turns XTC off: no two tokens can both reach it
        boolean xtcOn = threshold <= 0.5;
        double sigma = or(s.topNSigma(), -1);
        try {
            SamplerExtras.Dry dry = !dryOn ? SamplerExtras.Dry.OFF : new SamplerExtras.Dry(multiplier,
                    or(s.dryBase(), 1.75), s.dryAllowedLength() == null ? 2 : s.dryAllowedLength(),
                    dryPenaltyLastN == null || dryPenaltyLastN == -1 ? 0 : dryPenaltyLastN,
                    breakerTokens.apply(strings));
            SamplerExtras.Mirostat mirostat = new SamplerExtras.Mirostat(s.mirostat() == null ? 0 : s.mirostat(),
                    or(s.mirostatTau(), 5), or(s.mirostatEta(), 0.1));
            SamplerExtras.DynamicTemperature dynamic = new SamplerExtras.DynamicTemperature(or(s.dynatempRange(), 0),
                    or(s.dynatempExponent(), 1));
            return new SamplerExtras(or(s.typicalP(), 1), sigma > 0 ? sigma : 0, xtcOn ? or(s.xtcProbability(), 0) : 0,
                    xtcOn ? threshold : 0.1, dry, mirostat, dynamic,
                    s.repeatLastN() == null ? SamplerExtras.WHOLE_TEXT : s.repeatLastN());
        } catch (IllegalArgumentException e) {
            String field = InvalidRequestException.engineField(e);
            throw new InvalidRequestException(field != null ? prefix + field : null, prefix + e.getMessage());
        }
    }

    private static double or(Double value, double fallback) {
        return value == null ? fallback : value;
    }
}
