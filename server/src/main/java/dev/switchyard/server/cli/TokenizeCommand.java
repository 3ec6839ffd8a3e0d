package dev.switchyard.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.engine.tokenizer.Tokenizer;
import dev.switchyard.engine.tokenizer.Tokenizers;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code switchyard tokenize}: the token ids a GGUF file's own tokenizer gives a text. Reads only the
 * {@code tokenizer.*} keys, so vocabulary-only files of any architecture work.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Tokenize TEXT with a GGUF file's own vocabulary. By default the text is plain user text: "
                + "special-token strings stay text and no BOS is added.")
final class TokenizeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE.gguf", description = "The GGUF file whose tokenizer to use.")
    Path model;

    @Option(names = "--special", description = "Parse special and control token strings such as <|im_start|>.")
    boolean special;

    @Option(names = "--bos", description = "Add the BOS token when the file says to (tokenizer.ggml.add_bos_token).")
    boolean bos;

    @Option(names = "--json", description = "Print {\"ids\":[...],\"pieces\":[...]} instead of one line per token.")
    boolean json;

    @Parameters(index = "0", paramLabel = "TEXT", description = "The text, or - to read standard input byte for byte (UTF-8).")
    String text;

    @Override
    public Integer call() throws Exception {
        String input = "-".equals(text) ? readStdin() : text;
        Tokenizer tokenizer = Tokenizers.fromFile(model);
        int[] ids = tokenizer.encode(input, bos && tokenizer.addBosByDefault(), special);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            String[] pieces = new String[ids.length];
            for (int i = 0; i < ids.length; i++) {
                pieces[i] = piece(tokenizer, ids[i]);
            }
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("ids", ids);
            result.put("pieces", pieces);
            out.println(new ObjectMapper().writeValueAsString(result));
        } else {
            for (int id : ids) {
                out.printf(Locale.ROOT, "%6d -> '%s'%n", id, escape(piece(tokenizer, id)));
            }
        }
        out.flush();
        return 0;
    }

    /** The text a token stands for (control tokens shown by name). */
    private static String piece(Tokenizer tokenizer, int id) {
        return new String(tokenizer.pieceBytes(id, true), StandardCharsets.UTF_8);
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r");
    }

    private static String readStdin() throws IOException {
        byte[] bytes = System.in.readAllBytes();
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("standard input is not valid UTF-8");
        }
    }
}
