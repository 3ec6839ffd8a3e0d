package dev.switchyard.server.cli;

import dev.switchyard.engine.chat.ChatMessage;
import dev.switchyard.engine.chat.ChatPromptEncoder;
import dev.switchyard.engine.chat.ChatTemplate;
import dev.switchyard.engine.chat.ChatTemplates;
import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.tokenizer.Tokenizer;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A command-line prompt as token ids: plain text (BOS as the file says), or one chat turn. */
final class PromptEncoder {

    private PromptEncoder() {
    }

    static int[] encode(LoadedModel model, String prompt, boolean chat, String system, PrintWriter err) {
        Tokenizer tokenizer = model.tokenizer();
        if (!chat) {
            if (system != null) {
                throw new IllegalArgumentException("--system needs --chat");
            }
            return tokenizer.encode(prompt, tokenizer.addBosByDefault(), false);
        }
        ChatTemplate template = ChatTemplates.fromMetadata(model.file().metadata());
        err.println("using " + template.describe());
        List<ChatMessage> messages = new ArrayList<>();
        if (system != null) {
            messages.add(ChatMessage.system(system));
        }
        messages.add(ChatMessage.user(prompt));
        return ChatPromptEncoder.encode(template, tokenizer, messages, true, null, Map.of());
    }
}
