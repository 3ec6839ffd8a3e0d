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
        FimTokens fim = tokenizer.fim();
        if (!fim.canFill()) {
            throw new InvalidRequestException(param, param + " needs a model trained to fill in the middle: this "
                    + "one's vocabulary has no fill-in-the-middle tokens (tokenizer.ggml.fim_pre_token_id, "
                    + "fim_suf_token_id, fim_mid_token_id, or texts such as <|fim_prefix|>)", "unsupported_parameter");
        }
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
