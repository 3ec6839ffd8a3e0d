package dev.switchyard.server.cli;

import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.schedule.DraftModel;
import dev.switchyard.engine.schedule.Speculation;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.server.serving.SpeculativeDraft;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --speculative-tokens}, {@code --lookup-ngram}, {@code --draft-model} and
 * {@code --draft-p-min}, shared by the commands that decode.
 */
final class SpeculationOption {

    /** Tokens a draft model proposes at most where --speculative-tokens is not given. */
    static final int DRAFT_TOKENS = 4;

    @Option(names = {"--speculative-tokens", "--draft-max"}, paramLabel = "N",
            description = "Speculative decoding: each decoding sequence proposes up to N tokens, by prompt lookup (the "
                    + "tokens that followed its last few tokens where they appeared before in its prompt or output) or "
                    + "from --draft-model, and a step computes them beside its next token; those the sampler would have "
                    + "chosen anyway are kept, so the output is unchanged and a step may emit up to N+1 tokens. Lookup "
                    + "pays off where output repeats its input (code edited in place, quotes, records); 0 turns it off "
                    + "(default: 0, or " + DRAFT_TOKENS + " with --draft-model).")
    Integer tokens;

    @Option(names = {"--draft-model", "-md"}, paramLabel = "FILE.gguf",
            description = "A smaller model of the same vocabulary that proposes the speculative tokens, greedily, "
                    + "instead of prompt lookup (llama.cpp's -md). It runs beside the model on the same device, with a "
                    + "KV cache of its own.")
    Path draftModel;

    @Option(names = "--draft-p-min", defaultValue = "0.75", paramLabel = "P",
            description = "With --draft-model: propose a token only while the draft gives it at least P, as "
                    + "llama.cpp's --draft-p-min (and its default); 0 proposes as many as --speculative-tokens "
                    + "(default: ${DEFAULT-VALUE}).")
    double draftMinProbability;

    /** The draft model asked for, checked; null for none. */
    SpeculativeDraft draft() {
        if (draftModel == null) {
            return null;
        }
        if (!Files.isRegularFile(draftModel)) {
            throw new IllegalArgumentException("--draft-model: no file " + draftModel);
        }
        if (tokens != null && tokens == 0) {
            throw new IllegalArgumentException("--draft-model proposes tokens for speculative decoding, which "
                    + "--speculative-tokens 0 turns off");
        }
        return new SpeculativeDraft(draftModel, draftMinProbability);
    }

    @Option(names = "--lookup-ngram", defaultValue = "2-4", paramLabel = "MIN-MAX",
            description = "How many last tokens are looked up, longest first (default: ${DEFAULT-VALUE}).")
    String ngram;

    /**
     * Opens the draft model asked for beside {@code target}, on the same backend, with a cache that
     * follows as many positions as the target's; null where none is asked for. Close it after the
     * generator that uses it.
     */
    LoadedModel openDraft(Backend backend, LoadedModel target, int stepTokens, int sequences, KvCacheType type)
            throws IOException {
        SpeculativeDraft draft = draft();
        if (draft == null) {
            return null;
        }
        int positions = target.kv().capacityBlocks() * LoadedModel.KV_BLOCK_SIZE;
        return LoadedModel.open(draft.file(), backend, stepTokens, sequences, c -> positions, null, null, type);
    }

    /** {@code opened} (from {@link #openDraft}) as {@code target}'s draft; null where it is null. */
    DraftModel asDraft(LoadedModel opened, LoadedModel target) {
        if (opened == null) {
            return null;
        }
        try {
            return opened.asDraftOf(target, draftMinProbability);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--draft-model: " + e.getMessage());
        }
    }

    /** The speculation asked for; a bad value is an error naming its option. */
    Speculation speculation() {
        String[] parts = ngram.strip().split("-", -1);
        int min;
        int max;
        try {
            min = Integer.parseInt(parts[0].strip());
            max = parts.length == 1 ? min : Integer.parseInt(parts[1].strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--lookup-ngram must be MIN-MAX or N, got '" + ngram + "'");
        }
        if (parts.length > 2) {
            throw new IllegalArgumentException("--lookup-ngram must be MIN-MAX or N, got '" + ngram + "'");
        }
        try {
            int n = tokens != null ? tokens : draftModel != null ? DRAFT_TOKENS : 0;
            return Speculation.lookup(n, min, max);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((e.getMessage().startsWith("speculative tokens") ? "--speculative-tokens: "
                    : "--lookup-ngram: ") + e.getMessage());
        }
    }
}
