package dev.switchyard.engine.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads little-endian values from a mapped file, checking every read against the end of the file
 * first, so a malformed header becomes a {@link GgufFormatException} with a field name and offset,
 * never an IndexOutOfBoundsException.
 */
final class GgufCursor {

    private static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Far above any real key, token or chat template; keeps one string within a Java array. */
    static final long MAX_STRING_BYTES = 1L << 30;

    private final MemorySegment file;
    private final long size;
    /** One decoder for all strings (a vocabulary holds 100k+): decode() resets it each time. */
    private final CharsetDecoder strictUtf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private long position;

    GgufCursor(MemorySegment file) {
        this.file = file;
        this.size = file.byteSize();
    }

    long position() {
        return position;
    }

    long remaining() {
        return size - position;
    }

    long fileSize() {
        return size;
    }

    private long take(long bytes, String field) throws GgufFormatException {
        if (bytes < 0 || bytes > size - position) {
            throw new GgufFormatException(field, position,
                    "file ends after " + size + " bytes, " + bytes + " more needed (truncated file?)");
        }
        long at = position;
        position += bytes;
        return at;
    }

    int u8(String field) throws GgufFormatException {
        return Byte.toUnsignedInt(file.get(U8, take(1, field)));
    }

    byte i8(String field) throws GgufFormatException {
        return file.get(U8, take(1, field));
    }

    int u16(String field) throws GgufFormatException {
        return Short.toUnsignedInt(file.get(U16, take(2, field)));
    }

    short i16(String field) throws GgufFormatException {
        return file.get(U16, take(2, field));
    }

    long u32(String field) throws GgufFormatException {
        return Integer.toUnsignedLong(file.get(U32, take(4, field)));
    }

    int i32(String field) throws GgufFormatException {
        return file.get(U32, take(4, field));
    }

    long i64(String field) throws GgufFormatException {
        return file.get(U64, take(8, field));
    }

    float f32(String field) throws GgufFormatException {
        return file.get(F32, take(4, field));
    }

    double f64(String field) throws GgufFormatException {
        return file.get(F64, take(8, field));
    }

    boolean bool(String field) throws GgufFormatException {
        long at = position;
        int b = u8(field);
        if (b > 1) {
            throw new GgufFormatException(field, at, "boolean byte is " + b + ", expected 0 or 1");
        }
        return b == 1;
    }

    /** A count or length stored as uint64 that must also fit the bytes left in the file. */
    long length(String field, long minBytesEach) throws GgufFormatException {
        long at = position;
        long n = i64(field);
        if (n < 0 || (minBytesEach > 0 && n > remaining() / minBytesEach)) {
            throw new GgufFormatException(field, at, "length " + Long.toUnsignedString(n)
                    + " exceeds what the " + remaining() + " bytes left in the file can hold");
        }
        return n;
    }

    String string(String field) throws GgufFormatException {
        long lengthAt = position;
        long n = length(field + " (string length)", 1);
        if (n > MAX_STRING_BYTES) {
            throw new GgufFormatException(field + " (string length)", lengthAt,
                    "string of " + n + " bytes is longer than the " + MAX_STRING_BYTES + "-byte limit");
        }
        long at = take(n, field);
        byte[] bytes = file.asSlice(at, n).toArray(U8);
        try {
            return strictUtf8.decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            // Some real vocabularies hold token strings that are not valid UTF-8 (partial
            // multi-byte pieces); keep them readable rather than reject the whole file.
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    void seek(long newPosition) {
        this.position = newPosition;
    }
}
