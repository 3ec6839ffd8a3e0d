package dev.switchyard.engine.model;

/** Context-extension scaling of RoPE as the file declares it ({@code none} when it declares none). */
public record RopeScaling(Type type, double factor, int originalContextLength) {

    public enum Type { NONE, LINEAR, YARN }

    public static final RopeScaling NONE = new RopeScaling(Type.NONE, 1.0, 0);

    static Type parseType(String name) {
        return switch (name) {
            case "none", "" -> Type.NONE;
            case "linear" -> Type.LINEAR;
            case "yarn" -> Type.YARN;
            default -> throw new ModelConfigException("unsupported rope scaling type '" + name + "'");
        };
    }
}
