package dev.switchyard.server.cli;

import dev.switchyard.engine.schedule.Speculation;
import picocli.CommandLine.Option;

/** {@code --speculative-tokens} and {@code --lookup-ngram}, shared by the commands that decode. */
final class SpeculationOption {

    @Option(names = "--speculative-tokens", defaultValue = "0", paramLabel = "N",
            description = "Speculative decoding by prompt lookup: each decoding sequence proposes up to N tokens that "
                    + "followed its last few tokens where they appeared before in its prompt or output, and a step "
                    + "computes them beside its next token; those the sampler would have chosen anyway are kept, so the "
                    + "output is unchanged and a step may emit up to N+1 tokens. Pays off where output repeats its input "
                    + "(code edited in place, quotes, records); 0 turns it off (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--lookup-ngram", defaultValue = "2-4", paramLabel = "MIN-MAX",
            description = "How many last tokens are looked up, longest first (default: ${DEFAULT-VALUE}).")
    String ngram;

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
            return Speculation.lookup(tokens, min, max);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((e.getMessage().startsWith("speculative tokens") ? "--speculative-tokens: "
                    : "--lookup-ngram: ") + e.getMessage());
        }
    }
}
