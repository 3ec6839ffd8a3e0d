package dev.switchyard.kernels.format;

import java.util.EnumMap;
import java.util.Map;

/** The registry of codecs: one explicit entry per supported type, no reflection. */
public final class TensorCodecs {

    private static final Map<GgmlType, TensorCodec> CODECS = new EnumMap<>(GgmlType.class);

    static {
        register(new F32Codec());
        register(new F16Codec());
        register(new BF16Codec());
        register(new Q8_0Codec());
        register(new Q4_0Codec());
        register(new Q4_1Codec());
        register(new Q5_0Codec());
        register(new Q5_1Codec());
        register(new Q2_KCodec());
        register(new Q3_KCodec());
        register(new Q4_KCodec());
        register(new Q5_KCodec());
        register(new Q6_KCodec());
        register(new IQ4_NLCodec());
        register(new IQ4_XSCodec());
        register(new IQ2_XXSCodec());
        register(new IQ2_XSCodec());
        register(new IQ2_SCodec());
        register(new IQ3_XXSCodec());
        register(new IQ3_SCodec());
        register(new IQ1_SCodec());
        register(new IQ1_MCodec());
        register(new MXFP4Codec());
    }

    private TensorCodecs() {
    }

    private static void register(TensorCodec codec) {
        CODECS.put(codec.type(), codec);
    }

    /** The codec for a type; throws when Switchyard cannot compute with that type. */
    public static TensorCodec forType(GgmlType type) {
        TensorCodec codec = CODECS.get(type);
        if (codec == null) {
            throw new UnsupportedOperationException("tensor type " + type + " is not supported");
        }
        return codec;
    }
}
