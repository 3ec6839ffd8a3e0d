package dev.switchyard.loadtest.workload;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Prompts from a JSONL file, one object per line: {@code {"prompt": "...", "output_len": 128}}, where
 * {@code output_len} is optional (the command line's output length applies without it). Blank lines
 * are skipped; anything else malformed is an error naming the line.
 */
public final class DatasetPrompts {

    /** One line of the file; {@code outputLen} is 0 when the line gives none. */
    public record Entry(String prompt, int outputLen) {
    }

    private DatasetPrompts() {
    }

    public static List<Entry> read(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Entry> entries = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                entries.add(parse(json, line, file, number));
            }
        }
        if (entries.isEmpty()) {
            throw new IOException(file + ": no prompts in the file");
        }
        return entries;
    }

    private static Entry parse(ObjectMapper json, String line, Path file, int number) throws IOException {
        JsonNode node;
        try {
            node = json.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IOException(file + ":" + number + ": not JSON: " + e.getOriginalMessage());
        }
        if (!node.isObject()) {
            throw new IOException(file + ":" + number + ": not a JSON object");
        }
        JsonNode prompt = node.get("prompt");
        if (prompt == null || !prompt.isTextual() || prompt.asText().isEmpty()) {
            throw new IOException(file + ":" + number + ": needs a non-empty string \"prompt\"");
        }
        JsonNode out = node.get("output_len");
        if (out != null && (!out.canConvertToInt() || out.asInt() < 1)) {
            throw new IOException(file + ":" + number + ": \"output_len\" must be a positive integer");
        }
        return new Entry(prompt.asText(), out == null ? 0 : out.asInt());
    }
}
