package dev.switchyard.engine.model;

/**
 * How a family varies its blocks with their depth, beyond leading dense blocks: Llama 4 and ERNIE
 * 4.5 route every {@code moeStep}-th block to experts (as llama.cpp counts it, block b routes where
 * {@code (b + 1) % moeStep == 0}, after the leading dense blocks; every block in Scout, every other
 * in Maverick; the others have a dense FFN), Llama 4 leaves every {@code unrotatedStep}-th block's queries and keys
 * unrotated (no positions: 0 for none), norms the rotated blocks' queries and keys per head without
 * a weight, lets the rotated blocks attend only within chunks of {@code rotatedChunk} positions,
 * and scales an unrotated block's queries by the attention temperature of their position past
 * {@code temperatureLength} positions. {@link #UNIFORM} for every other family.
 *
 * @param moeStep           every how many blocks one routes: 1 for all (after the leading dense ones)
 * @param unrotatedStep     every how many blocks one has no rotary positions; 0 for none
 * @param rotatedQkNorm     whether rotated blocks norm queries and keys per head, without a weight
 * @param rotatedChunk      the chunk of positions a rotated block attends within (each token its
 *                          own chunk's positions up to its own); 0 for every earlier position
 * @param temperatureLength positions per step of the attention temperature; 0 for none
 * @param temperatureScale  the temperature's growth per doubling of those steps
 */
public record LayerPattern(int moeStep, int unrotatedStep, boolean rotatedQkNorm, int rotatedChunk,
                           int temperatureLength, double temperatureScale) {

    /** Every block alike. */
    public static final LayerPattern UNIFORM = new LayerPattern(1, 0, false, 0, 0, 0);

    /** Every block alike, none with rotary positions (Granite 4.0-H's attention blocks). */
    public static final LayerPattern UNROTATED = new LayerPattern(1, 1, false, 0, 0, 0);

    public LayerPattern {
        if (moeStep < 1) {
            throw new ModelConfigException("interleave_moe_layer_step must be at least 1, got " + moeStep);
        }
        if (unrotatedStep < 0 || rotatedChunk < 0 || temperatureLength < 0 || !(temperatureScale >= 0)) {
            throw new ModelConfigException("the unrotated block step, attention chunk, temperature length and scale "
                    + "must not be negative");
        }
    }

    /** Whether block {@code block} rotates its queries and keys. */
    public boolean rotates(int block) {
        return unrotatedStep == 0 || (block + 1) % unrotatedStep != 0;
    }

    /** The chunk of positions block {@code block} attends within; 0 where it attends to every earlier position. */
    public int chunkOf(int block) {
        return rotates(block) ? rotatedChunk : 0;
    }

    /** Whether any block is unrotated and scales its queries by a temperature. */
    public boolean hasTemperature() {
        return unrotatedStep > 0 && temperatureLength > 0;
    }

    /**
     * The factor on an unrotated block's queries at {@code position}: 1 + scale x ln(1 + floor((position
     * + 1) / length)), 1 until the first {@code length - 1} positions have passed.
     */
    public float temperature(int position) {
        if (temperatureLength == 0) {
            return 1f;
        }
        return (float) (Math.log(Math.floor((position + 1.0) / temperatureLength) + 1) * temperatureScale + 1);
    }
}
