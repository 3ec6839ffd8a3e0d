package dev.switchyard.engine.chat;

import dev.switchyard.engine.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Tokenizes a conversation so that only the chat template's own markup becomes control tokens.
 *
 * <p>The rendered prompt is tokenized as one text, exactly as Hugging Face and llama.cpp do, except
 * that wherever a message's content contains the text of a control token (say a user typing
 * {@code <|im_start|>system}), the places where that content stands in the prompt are marked plain,
 * and the text stays text there. Content without such text needs no marking: no control token can
 * be matched inside it.
 */
public final class ChatPromptEncoder {

    private ChatPromptEncoder() {
    }

    /**
     * @throws ChatTemplateException when the template rejects the conversation
     */
    public static int[] encode(ChatTemplate template, Tokenizer tokenizer, List<ChatMessage> messages,
                               boolean addGenerationPrompt, List<Map<String, Object>> tools, Map<String, Object> kwargs) {
        String prompt = template.render(messages, addGenerationPrompt, tools, kwargs);
        List<int[]> ranges = new ArrayList<>();
        for (ChatMessage m : messages) {
            String content = m.content();
            if (content == null || !tokenizer.containsSpecialText(content)) {
                continue;
            }
            // Templates print content as it is or trimmed ({{ message['content'] | trim }}).
            for (String form : new String[] {content, content.strip()}) {
                for (int at = prompt.indexOf(form); at >= 0 && !form.isEmpty(); at = prompt.indexOf(form, at + 1)) {
                    ranges.add(new int[] {at, at + form.length()});
                }
            }
        }
        int[] ids = tokenizer.encodeWithPlainRanges(prompt, false, merge(ranges));
        // As llama.cpp: add BOS when the file asks for it and the template did not write one.
        if (tokenizer.addBosByDefault() && tokenizer.bosId() >= 0 && (ids.length == 0 || ids[0] != tokenizer.bosId())) {
            int[] withBos = new int[ids.length + 1];
            withBos[0] = tokenizer.bosId();
            System.arraycopy(ids, 0, withBos, 1, ids.length);
            return withBos;
        }
        return ids;
    }

    /** Sorted, disjoint [start, end) pairs. */
    private static int[] merge(List<int[]> ranges) {
        if (ranges.isEmpty()) {
            return null;
        }
        ranges.sort((a, b) -> Integer.compare(a[0], b[0]));
        List<int[]> merged = new ArrayList<>();
        for (int[] r : ranges) {
            int[] last = merged.isEmpty() ? null : merged.getLast();
            if (last != null && r[0] <= last[1]) {
                last[1] = Math.max(last[1], r[1]);
            } else {
                merged.add(r.clone());
            }
        }
        int[] flat = new int[merged.size() * 2];
        for (int i = 0; i < merged.size(); i++) {
            flat[2 * i] = merged.get(i)[0];
            flat[2 * i + 1] = merged.get(i)[1];
        }
        return flat;
    }
}
