package dev.switchyard.engine.tokenizer;

import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufMetadata;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

/**
 * The real vocabularies under {@code <shared>/vocab}: {@code ggml-vocab-NAME.gguf}, with expected
 * tokenizations in {@code .inp}/{@code .out} beside some of them. The shared folder comes from the
 * system property {@code switchyard.shared.dir} (Surefire sets it), else {@code ../shared} or
 * {@code ../../shared} from the working directory, else the nearest {@code shared} folder above it.
 */
final class VocabFiles {

    static final String CASE_SEPARATOR = "\n__ggml_vocab_test__\n";
    private static final String PREFIX = "ggml-vocab-";
    private static final String SUFFIX = ".gguf";

    private static final Optional<Path> DIR = dev.switchyard.engine.SharedFolder.subfolder("vocab");
    private static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();

    private VocabFiles() {
    }

    static boolean available() {
        return DIR.isPresent();
    }

    static String missingReason() {
        return "real vocabularies not found: set -Dswitchyard.shared.dir to the folder holding vocab/";
    }

    static Path dir() {
        return DIR.orElseThrow(() -> new IllegalStateException(missingReason()));
    }

    /** Names (the NAME in ggml-vocab-NAME.gguf) of every vocabulary file, sorted; empty when absent. */
    static List<String> names() {
        if (DIR.isEmpty()) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(DIR.get())) {
            return files.map(p -> p.getFileName().toString())
                    .filter(f -> f.startsWith(PREFIX) && f.endsWith(SUFFIX))
                    .map(f -> f.substring(PREFIX.length(), f.length() - SUFFIX.length()))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path file(String name) {
        return dir().resolve(PREFIX + name + SUFFIX);
    }

    static GgufMetadata metadata(String name) {
        try (GgufFile f = GgufFile.open(file(name))) {
            return f.metadata();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The tokenizer of a vocabulary file, loaded once per test run. */
    static Tokenizer tokenizer(String name) {
        return TOKENIZERS.computeIfAbsent(name, n -> Tokenizers.fromMetadata(metadata(n)));
    }

    /** The vocabularies that load: a supported model and pre-tokenizer. */
    static List<String> supportedNames() {
        return names().stream().filter(n -> {
            try {
                tokenizer(n);
                return true;
            } catch (TokenizerException e) {
                return false;
            }
        }).toList();
    }

    /**
     * Whether {@code decode(encode(text)) == text} can hold for this vocabulary. Byte-level BPE can
     * only spell bytes whose byte character is in the vocabulary (Falcon, StarCoder, MPT and others
     * lack some). SentencePiece spells spaces '▁', so a literal '▁' cannot come back; and it prefixes
     * a space to text after a user-defined token (as llama.cpp does), so such texts gain a space.
     */
    static boolean roundTrips(String vocab, String text) {
        Tokenizer tok = tokenizer(vocab);
        if (tok.model().equals("llama")) {
            return text.indexOf('\u2581') < 0 && USER_DEFINED_TEXTS.computeIfAbsent(vocab, v -> IntStream
                    .range(0, tok.vocabSize())
                    .filter(id -> tok.tokenType(id) == TokenType.USER_DEFINED)
                    .mapToObj(tok::tokenText)
                    .toList()).stream().noneMatch(text::contains);
        }
        boolean[] covered = SPELLABLE_BYTES.computeIfAbsent(vocab, v -> {
            boolean[] c = new boolean[256];
            for (int b = 0; b < 256; b++) {
                c[b] = tok.tokenId(String.valueOf(ByteLevel.charOf(b))) >= 0;
            }
            return c;
        });
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            if (!covered[b & 0xff]) {
                return false;
            }
        }
        return true;
    }

    private static final Map<String, boolean[]> SPELLABLE_BYTES = new ConcurrentHashMap<>();
    private static final Map<String, List<String>> USER_DEFINED_TEXTS = new ConcurrentHashMap<>();

    record Case(int index, String input, int[] expected) {
    }

    static boolean hasCases(String name) {
        Path g = file(name);
        return Files.isRegularFile(Path.of(g + ".inp")) && Files.isRegularFile(Path.of(g + ".out"));
    }

    /** The expected tokenizations: each input string with the ids of its line in the .out file. */
    static List<Case> cases(String name) {
        Path g = file(name);
        try {
            String inp = Files.readString(Path.of(g + ".inp"), StandardCharsets.UTF_8);
            List<String> inputs = new ArrayList<>(Arrays.asList(inp.split(CASE_SEPARATOR, -1)));
            // Every case is followed by the separator, so the text after the last one is empty.
            if (!inputs.isEmpty() && inputs.getLast().isEmpty()) {
                inputs.removeLast();
            }
            List<String> lines = Files.readAllLines(Path.of(g + ".out"), StandardCharsets.UTF_8);
            if (lines.size() != inputs.size()) {
                throw new IllegalStateException(g + ": " + inputs.size() + " inputs but " + lines.size() + " outputs");
            }
            List<Case> cases = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                String line = lines.get(i).trim();
                int[] ids = line.isEmpty() ? new int[0]
                        : Arrays.stream(line.split("\\s+")).mapToInt(Integer::parseInt).toArray();
                cases.add(new Case(i, inputs.get(i), ids));
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Skips a jqwik container or property when the real vocabularies are not there. */
    static final class RequireVocabFiles implements SkipExecutionHook {
        @Override
        public SkipResult shouldBeSkipped(LifecycleContext context) {
            return available() ? SkipResult.doNotSkip() : SkipResult.skip(missingReason());
        }
    }
}
