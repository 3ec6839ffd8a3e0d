package dev.switchyard.server.cli;

import dev.switchyard.kernels.KvCacheType;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** {@code --kv-cache-type f16|f32|q8_0}, shared by every command that runs the model. */
final class KvCacheOption {

    @Option(names = "--kv-cache-type", defaultValue = "f16", paramLabel = "f16|f32|q8_0", converter = TypeConverter.class,
            description = "How the KV cache stores keys and values: f16 rounds each to a half once, as it is written, "
                    + "and takes half the memory, so --kv-memory holds twice the positions; q8_0 stores bytes with a "
                    + "half scale per 32 (llama.cpp's q8_0), close to twice f16's positions again; f32 keeps them exactly "
                    + "as computed. Attention computes in float32 either way (default: ${DEFAULT-VALUE}).")
    KvCacheType type = KvCacheType.F16;

    /** A type's name in any case; a bad one is a usage error naming the choices. */
    static final class TypeConverter implements ITypeConverter<KvCacheType> {
        @Override
        public KvCacheType convert(String value) {
            try {
                return KvCacheType.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
