package dev.switchyard.server.serving;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** JSON files the server keeps across restarts. */
public final class JsonFiles {

    private JsonFiles() {
    }

    /**
     * Writes {@code value} to {@code target} whole or not at all: aside first, then moved over what
     * was there, so a server stopped mid-write leaves the last version, never half of one.
     */
    public static void writeWhole(ObjectMapper json, Path target, Object value) throws IOException {
        Path aside = target.resolveSibling(target.getFileName() + ".partial");
        json.writeValue(aside.toFile(), value);
        Files.move(aside, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
