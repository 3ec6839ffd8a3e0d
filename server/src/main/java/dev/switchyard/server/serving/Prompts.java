package dev.switchyard.server.serving;

import dev.switchyard.engine.chat.ChatMessage;
import dev.switchyard.engine.chat.ChatPromptEncoder;
import dev.switchyard.engine.chat.ChatTemplate;
import dev.switchyard.engine.chat.ChatTemplateException;
import dev.switchyard.engine.tokenizer.FimTokens;
import dev.switchyard.engine.tokenizer.Tokenizer;
import java.util.List;
import java.util.Map;

/**
 * Prompts as token ids, from text, from token ids a client sent, or from a conversation rendered by
 * the model's chat template. Client text is always plain text: control-token spellings in it stay
 * text, so no client can forge a role switch.
 */
public final class Prompts {

    private final Tokenizer tokenizer;
    private final ChatTemplate template;

    Prompts(Tokenizer tokenizer, ChatTemplate template) {
        this.tokenizer = tokenizer;
        this.template = template;
    }

    public ChatTemplate template() {
        return template;
    }

    /** Plain text, with BOS where the model asks for it. */
    public int[] text(String text, String param) {
        return nonEmpty(tokenizer.encode(text, tokenizer.addBosByDefault(), false), param);
    }

    /**
     * Text to embed: tokenized as the model file asks, BOS and EOS where it wants them (an embedding
     * model such as Qwen3-Embedding reads its end-of-text token last).
     */
    public int[] embeddingText(String text, String param) {
        return nonEmpty(embeddingTokens(tokenizer, text), param);
    }

    /** {@code text} as an embedding reads it: BOS and EOS where the vocabulary wants them. */
    public static int[] embeddingTokens(Tokenizer tokenizer, String text) {
        int[] ids = tokenizer.encode(text, tokenizer.addBosByDefault(), false);
        if (tokenizer.addEosByDefault() && tokenizer.eosId() >= 0) {
            ids = java.util.Arrays.copyOf(ids, ids.length + 1);
            ids[ids.length - 1] = tokenizer.eosId();
        }
        return ids;
    }

    /** Token ids as a client sent them, checked against the vocabulary. */
    public int[] tokenIds(int[] ids, String param) {
        int vocab = tokenizer.vocabSize();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new InvalidRequestException(param + "[" + i + "]", "token id " + ids[i]
                        + " is outside the vocabulary (0.." + (vocab - 1) + ")");
            }
        }
        return nonEmpty(ids.clone(), param);
    }

    /**
     * A fill-in-the-middle prompt: what comes before the middle and what comes after it, for the
     * model to write what goes between ({@code prefix-token prefix suffix-token suffix middle-token},
     * with BOS where the model asks for it; {@code prefix} as token ids where they are not null).
     *
     * @throws InvalidRequestException naming {@code param} where the vocabulary has no such tokens
     */
    public int[] fill(String prefix, int[] prefixIds, String suffix, String param) {
        FimTokens fim = fimTokens(param);
        int[] before = prefixIds != null ? prefixIds : tokenizer.encode(prefix, false, false);
        int[] after = tokenizer.encode(suffix, false, false);
        boolean bos = prefixIds == null && tokenizer.addBosByDefault();
        int[] ids = new int[(bos ? 1 : 0) + 3 + before.length + after.length];
        int n = 0;
        if (bos) {
            ids[n++] = tokenizer.bosId();
        }
        ids[n++] = fim.prefix();
        System.arraycopy(before, 0, ids, n, before.length);
        n += before.length;
        ids[n++] = fim.suffix();
        System.arraycopy(after, 0, ids, n, after.length);
        n += after.length;
        ids[n] = fim.middle();
        return ids;
    }

    /** A file of the project around the one being edited, for a code completion's context. */
    public record ProjectFile(String name, String text) {
    }

    /** A code completion's prompt, and whether it had to be cut to fit ({@link #infill}). */
    public record Infill(int[] ids, boolean trimmed) {
    }

    /**
     * The most tokens of prefix and suffix kept around the cursor, as llama-server keeps one batch's
     * worth (its default of 2,048) for them: a quarter for the suffix, the rest for the prefix.
     */
    public static final int INFILL_WINDOW = 2048;

    /**
     * A code completion's prompt (llama.cpp's {@code /infill}): the other files given first, then
     * {@code prefix-token before suffix-token after middle-token typed}, so the model goes on from
     * {@code typed} (the text of the cursor's line before it, where the client sends it apart).
     * Where the vocabulary names repositories and files ({@code <|repo_name|>}, {@code <|file_sep|>}:
     * Qwen's and StarCoder 2's repository-level layout) each file is {@code file-sep name\n text}
     * after {@code repo-name} and a placeholder name, and the edited file follows a separator of its
     * own; otherwise each file's name and text go, as plain text, before the prefix. BOS first where
     * the model asks for it.
     *
     * <p>An editor sends more than fits, and expects the server to choose, as llama-server does. The
     * prompt is kept within {@code budget} tokens: the cursor's surroundings first, within
     * {@link #INFILL_WINDOW} tokens, the suffix's start taking at most a quarter and the prefix's end
     * the rest; the files then fill what is left, their last tokens kept (editors send the most
     * recent last). The typed line and the layout's own tokens are never cut; where they alone
     * outgrow the budget the prompt is left whole, for the context check to refuse.
     *
     * @throws InvalidRequestException naming {@code param} where the vocabulary cannot fill in the middle
     */
    public Infill infill(List<ProjectFile> files, String prefix, String suffix, String typed, int budget, String param) {
        FimTokens fim = fimTokens(param);
        java.util.ArrayList<Integer> extra = new java.util.ArrayList<>();
        boolean repository = fim.repo() >= 0 && fim.separator() >= 0;
        if (!files.isEmpty() && repository) {
            extra.add(fim.repo());
            add(extra, "project\n");
            for (ProjectFile file : files) {
                extra.add(fim.separator());
                add(extra, file.name() + "\n" + file.text());
            }
            extra.add(fim.separator());
            add(extra, "\n");
        } else {
            StringBuilder before = new StringBuilder();
            for (ProjectFile file : files) {
                before.append(file.name()).append('\n').append(file.text());
                if (!file.text().endsWith("\n")) {
                    before.append('\n');
                }
            }
            add(extra, before.toString());
        }
        int[] before = tokenizer.encode(prefix, false, false);
        int[] after = tokenizer.encode(suffix, false, false);
        int[] line = tokenizer.encode(typed, false, false);
        boolean bos = tokenizer.addBosByDefault();
        int room = budget - (bos ? 1 : 0) - 3 - line.length;
        int prefixTake = before.length;
        int suffixTake = after.length;
        int extraTake = extra.size();
        if (room >= 0 && before.length + after.length + extra.size() > room) {
            int window = Math.min(room, INFILL_WINDOW);
            suffixTake = Math.min(after.length, window / 4);
            prefixTake = Math.min(before.length, window - suffixTake);
            suffixTake = Math.min(after.length, window - prefixTake); // what a short prefix leaves
            extraTake = Math.min(extra.size(), room - prefixTake - suffixTake);
        }
        java.util.ArrayList<Integer> ids = new java.util.ArrayList<>();
        if (bos) {
            ids.add(tokenizer.bosId());
        }
        // in the repository layout the files come before the prefix token, in the plain one after it
        boolean filesFirst = repository && !files.isEmpty();
        if (filesFirst) {
            ids.addAll(extra.subList(extra.size() - extraTake, extra.size()));
        }
        ids.add(fim.prefix());
        if (!filesFirst) {
            ids.addAll(extra.subList(extra.size() - extraTake, extra.size()));
        }
        addAll(ids, before, before.length - prefixTake, before.length);
        ids.add(fim.suffix());
        addAll(ids, after, 0, suffixTake);
        ids.add(fim.middle());
        addAll(ids, line, 0, line.length);
        boolean trimmed = prefixTake < before.length || suffixTake < after.length || extraTake < extra.size();
        return new Infill(ids.stream().mapToInt(Integer::intValue).toArray(), trimmed);
    }

    private static void addAll(List<Integer> ids, int[] tokens, int from, int to) {
        for (int i = from; i < to; i++) {
            ids.add(tokens[i]);
        }
    }

    private FimTokens fimTokens(String param) {
        FimTokens fim = tokenizer.fim();
        if (!fim.canFill()) {
            throw new InvalidRequestException(param, param + " needs a model trained to fill in the middle: this "
                    + "one's vocabulary has no fill-in-the-middle tokens (tokenizer.ggml.fim_pre_token_id, "
                    + "fim_suf_token_id, fim_mid_token_id, or texts such as <|fim_prefix|>)", "unsupported_parameter");
        }
        return fim;
    }

    private void add(List<Integer> ids, String text) {
        for (int id : tokenizer.encode(text, false, false)) {
            ids.add(id);
        }
    }

    /** A conversation through the chat template, with the assistant's turn opened. */
    public int[] chat(List<ChatMessage> messages, String param) {
        return chat(messages, Map.of(), param);
    }

    /**
     * As above, with extra template arguments ({@code reasoning_effort}, {@code enable_thinking},
     * ...); the caller has checked that none is reserved ({@link ChatTemplate#isReservedArgument}).
     */
    public int[] chat(List<ChatMessage> messages, Map<String, Object> templateArguments, String param) {
        return chat(messages, null, templateArguments, param);
    }

    /**
     * A conversation through the chat template as text, the assistant's turn opened: the prompt
     * {@link #chat} tokenizes (without the BOS a file may ask for, which is not the template's).
     */
    public String renderChat(List<ChatMessage> messages, List<Map<String, Object>> tools,
                             Map<String, Object> templateArguments, String param) {
        try {
            return template.render(messages, true, tools, templateArguments);
        } catch (ChatTemplateException e) {
            throw new InvalidRequestException(param, "the model's chat template rejected the conversation: "
                    + e.getMessage());
        }
    }

    /** As above, offering {@code tools} (OpenAI-shaped definitions; null for none) as the template lays them out. */
    public int[] chat(List<ChatMessage> messages, List<Map<String, Object>> tools, Map<String, Object> templateArguments,
                      String param) {
        try {
            return nonEmpty(ChatPromptEncoder.encode(template, tokenizer, messages, true, tools, templateArguments), param);
        } catch (ChatTemplateException e) {
            throw new InvalidRequestException(param, "the model's chat template rejected the conversation: "
                    + e.getMessage());
        }
    }

    /**
     * As above, the assistant's opened turn begun with {@code prefill} (plain text, as any client
     * text): the reply continues it, as Anthropic's API continues a final assistant message.
     */
    public int[] chat(List<ChatMessage> messages, List<Map<String, Object>> tools, Map<String, Object> templateArguments,
                      String prefill, String param) {
        int[] ids = chat(messages, tools, templateArguments, param);
        if (prefill == null || prefill.isEmpty()) {
            return ids;
        }
        int[] tail = tokenizer.encode(prefill, false, false);
        int[] all = java.util.Arrays.copyOf(ids, ids.length + tail.length);
        System.arraycopy(tail, 0, all, ids.length, tail.length);
        return all;
    }

    private static int[] nonEmpty(int[] ids, String param) {
        if (ids.length == 0) {
            throw new InvalidRequestException(param, "the prompt is empty: it needs at least one token");
        }
        return ids;
    }
}
