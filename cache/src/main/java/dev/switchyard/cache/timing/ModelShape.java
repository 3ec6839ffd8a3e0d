package dev.switchyard.cache.timing;

/**
 * The bytes a decode step moves and reads, per layer: one routed expert (what a miss copies), the
 * layer's always-resident part (attention, router, norms), and the output head once per token.
 *
 * @param name           what the figures are for
 * @param expertBytes    one expert's gate, up and down matrices
 * @param denseBytes     one layer's attention and router weights (read every token)
 * @param headBytes      the output projection (read once per token)
 */
public record ModelShape(String name, long expertBytes, long denseBytes, long headBytes) {

    public ModelShape {
        if (expertBytes <= 0 || denseBytes < 0 || headBytes < 0) {
            throw new IllegalArgumentException("a model shape needs positive expert bytes");
        }
    }

    /**
     * Mixtral-8x7B (dim 4096, expert FFN 14336, 32 query and 8 KV heads of 128, vocabulary 32000)
     * at {@code bitsPerWeight}, e.g. 4.5 for Q4_0, 4.8 for Q4_K_M, 8.5 for Q8_0, 16 for F16.
     */
    public static ModelShape mixtral8x7b(double bitsPerWeight) {
        long dim = 4096;
        long expert = 3 * dim * 14336;
        long attention = 2 * dim * dim + 2 * dim * 1024 + dim * 8;
        long head = 32000 * dim;
        return new ModelShape("Mixtral-8x7B at " + bitsPerWeight + " bits/weight", bytes(expert, bitsPerWeight),
                bytes(attention, bitsPerWeight), bytes(head, bitsPerWeight));
    }

    /** Only the expert size is known (a recorded trace): dense and head reads are left out. */
    public static ModelShape expertsOnly(String name, long expertBytes) {
        return new ModelShape(name, expertBytes, 0, 0);
    }

    private static long bytes(long weights, double bits) {
        return Math.round(weights * bits / 8);
    }
}
