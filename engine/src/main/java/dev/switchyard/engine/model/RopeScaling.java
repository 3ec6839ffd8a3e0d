package dev.switchyard.engine.model;

/**
 * Context-extension scaling of RoPE as the file declares it ({@code none} when it declares none).
 *
 * @param originalContextLength the context the model was trained with before extension (0: not
 *                              stated; YaRN then takes the model's context length)
 * @param attnFactor            {@code rope.scaling.attn_factor}: YaRN's extra magnitude scale (1
 *                              when not stated)
 */
public record RopeScaling(Type type, double factor, int originalContextLength, double attnFactor) {

    public enum Type { NONE, LINEAR, YARN }

    public static final RopeScaling NONE = new RopeScaling(Type.NONE, 1.0, 0, 1.0);

    public RopeScaling(Type type, double factor, int originalContextLength) {
        this(type, factor, originalContextLength, 1.0);
    }

    static Type parseType(String name) {
        return switch (name) {
            case "none", "" -> Type.NONE;
            case "linear" -> Type.LINEAR;
            case "yarn" -> Type.YARN;
            default -> throw new ModelConfigException("unsupported rope scaling type '" + name + "'");
        };
    }
}
