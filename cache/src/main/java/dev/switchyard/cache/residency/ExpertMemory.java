package dev.switchyard.cache.residency;

/**
 * The {@code --expert-memory} setting: the device tier's size as bytes or as a share of all routed
 * experts, turned into a slot count once the model's expert size is known.
 */
public record ExpertMemory(double bytes, double fraction) {

    public static ExpertMemory parse(String text) {
        String s = text.trim();
        if (s.endsWith("%")) {
            double p = Double.parseDouble(s.substring(0, s.length() - 1).trim());
            if (!(p > 0 && p <= 100)) {
                throw new IllegalArgumentException("expert memory percentage must be in (0, 100]: " + text);
            }
            return new ExpertMemory(0, p / 100);
        }
        double b = ByteSize.parse(s);
        if (b <= 0) {
            throw new IllegalArgumentException("expert memory must be positive: " + text);
        }
        return new ExpertMemory(b, 0);
    }

    /**
     * Slots for a model of {@code layers x experts} experts of {@code slotBytes} each: never more than
     * there are experts, and never fewer than {@code topK} (one layer's experts of one token), below
     * which a token could not be computed at all.
     */
    public int slots(int layers, int experts, int topK, long slotBytes) {
        long all = (long) layers * experts;
        long n = fraction > 0 ? (long) Math.floor(all * fraction) : (long) Math.floor(bytes / slotBytes);
        if (n < topK) {
            throw new IllegalArgumentException(String.format(
                    "expert memory %s holds %d experts of %d bytes; a token needs at least its top-%d of one layer",
                    this, n, slotBytes, topK));
        }
        return (int) Math.min(n, all);
    }

    @Override
    public String toString() {
        return fraction > 0 ? (fraction * 100) + "%" : (long) bytes + " bytes";
    }
}
