package dev.switchyard.server.openai;

import dev.switchyard.server.serving.ServedModel;

/**
 * How logprobs name a token, so that the names add up to the reply's text: a control token's text is
 * shown only where the reply shows it.
 */
enum TokenLabel {
    /** The token's text; a control token's is empty, as it is in the reply. */
    TEXT,
    /** The token's text, a control token's included ({@code skip_special_tokens: false}). */
    TEXT_WITH_CONTROLS,
    /** vLLM's {@code token_id:N} ({@code return_tokens_as_token_ids}): exact, where a text may not tokenize back. */
    ID;

    static TokenLabel of(boolean asIds, boolean controls) {
        return asIds ? ID : controls ? TEXT_WITH_CONTROLS : TEXT;
    }

    String label(ServedModel model, int token) {
        return this == ID ? "token_id:" + token : text(model, token);
    }

    /** The token's text, whatever the label: what {@code decoded_token} and text offsets count. */
    String text(ServedModel model, int token) {
        return model.tokenText(token, this == TEXT_WITH_CONTROLS);
    }
}
