package dev.switchyard.server.grpc;

import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.proto.v1.ChoiceResult;
import dev.switchyard.proto.v1.Chunk;
import dev.switchyard.proto.v1.Complete;
import dev.switchyard.proto.v1.GenerateResponse;
import dev.switchyard.proto.v1.ToolCall;
import dev.switchyard.proto.v1.TopLogprob;
import dev.switchyard.server.serving.ChoiceToolCall;
import dev.switchyard.server.serving.GenerationListener;
import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.TokenLogprob;
import dev.switchyard.server.accesslog.AccessRecord;
import dev.switchyard.server.accesslog.GenerationTimes;
import dev.switchyard.server.serving.Usage;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * One Generate call: turns the request's events into response messages. Streaming calls get a chunk
 * per token event and a {@code complete} with every choice's finish reason and the usage; unary calls
 * get one {@code complete} with each choice's whole output. Events arrive on the scheduler's thread,
 * which every running sequence waits on, so each is handed at once, in order, to this call's
 * single-threaded executor: building and serializing messages happens there, and only there is the
 * observer (not thread-safe) used after the call started.
 */
final class GenerateCall implements GenerationListener {

    private final String requestId;
    private final ServerCallStreamObserver<GenerateResponse> out;
    private final ServedModel model;
    private final boolean unary;
    private final boolean includeText;
    private final boolean includeTokenIds;
    private final ChoiceResult.Builder[] choices;
    /** Unary calls only: each choice's text so far. */
    private final StringBuilder[] texts;
    /** Unary calls only: each choice's reasoning so far (empty unless it comes apart). */
    private final StringBuilder[] reasonings;
    /** Whether each choice made tool calls: a reply that then ends by itself ends for them. */
    private final boolean[] madeCalls;
    private final Runnable onEnd;
    private final Executor executor;
    private boolean closed;
    /** Where the access log's figures go; null without one. */
    private final AccessRecord access;
    private final GenerationTimes times = new GenerationTimes();

    GenerateCall(String requestId, ServerCallStreamObserver<GenerateResponse> out, ServedModel model, int choices,
                 boolean unary, boolean includeText, boolean includeTokenIds, Executor executor, Runnable onEnd,
                 AccessRecord access) {
        this.access = access;
        this.requestId = requestId;
        this.out = out;
        this.model = model;
        this.unary = unary;
        this.includeText = includeText;
        this.includeTokenIds = includeTokenIds;
        this.choices = new ChoiceResult.Builder[choices];
        this.texts = new StringBuilder[choices];
        this.reasonings = new StringBuilder[choices];
        this.madeCalls = new boolean[choices];
        for (int i = 0; i < choices; i++) {
            this.choices[i] = ChoiceResult.newBuilder().setIndex(i);
            this.texts[i] = new StringBuilder();
            this.reasonings[i] = new StringBuilder();
        }
        this.onEnd = onEnd;
        this.executor = executor;
    }

    @Override
    public void onAdmitted(int index) {
        times.admitted();
    }

    @Override
    public void onToken(int index, int token, String reasoning, String text, TokenLogprob logprob) {
        times.token();
        executor.execute(() -> token(index, token, reasoning, text, logprob));
    }

    @Override
    public void onPromptLogprobs(int index, List<TokenLogprob> prompt) {
        executor.execute(() -> promptLogprobs(index, prompt));
    }

    @Override
    public void onToolCalls(int index, List<ChoiceToolCall> calls) {
        executor.execute(() -> toolCalls(index, calls));
    }

    @Override
    public void onChoiceFinished(int index, FinishReason reason, String reasoning, String text) {
        times.finished(index, reason);
        executor.execute(() -> choiceFinished(index, reason, reasoning, text));
    }

    @Override
    public void onChoiceFailed(int index, RuntimeException error) {
        executor.execute(() -> choiceFailed(error));
    }

    @Override
    public void onComplete(Usage usage) {
        executor.execute(() -> complete(usage));
    }

    private void token(int index, int token, String reasoning, String text, TokenLogprob logprob) {
        if (closed) {
            return;
        }
        if (unary) {
            ChoiceResult.Builder c = choices[index];
            if (includeTokenIds) {
                c.addTokenIds(token);
            }
            texts[index].append(text);
            reasonings[index].append(reasoning);
            if (logprob != null) {
                c.addLogprobs(logprob(logprob));
            }
            return;
        }
        Chunk.Builder chunk = Chunk.newBuilder().setIndex(index);
        if (includeTokenIds) {
            chunk.addTokenIds(token);
        }
        if (includeText) {
            chunk.setText(text).setReasoningText(reasoning);
        }
        if (logprob != null) {
            chunk.addLogprobs(logprob(logprob));
        }
        send(GenerateResponse.newBuilder().setRequestId(requestId).setChunk(chunk).build());
    }

    /** The prompt's scored tokens: kept for the choice's result (unary), or a chunk of their own. */
    private void promptLogprobs(int index, List<TokenLogprob> prompt) {
        if (closed) {
            return;
        }
        List<dev.switchyard.proto.v1.TokenLogprob> scored = prompt.stream().filter(TokenLogprob::scored)
                .map(this::logprob).toList();
        if (unary) {
            choices[index].addAllPromptLogprobs(scored);
        } else {
            send(GenerateResponse.newBuilder().setRequestId(requestId)
                    .setChunk(Chunk.newBuilder().setIndex(index).addAllPromptLogprobs(scored)).build());
        }
    }

    private void toolCalls(int index, List<ChoiceToolCall> calls) {
        if (closed) {
            return;
        }
        madeCalls[index] = true;
        List<ToolCall> messages = calls.stream().map(c -> ToolCall.newBuilder().setId(c.id()).setName(c.name())
                .setArgumentsJson(c.arguments()).build()).toList();
        if (unary) {
            choices[index].addAllToolCalls(messages);
        } else {
            send(GenerateResponse.newBuilder().setRequestId(requestId)
                    .setChunk(Chunk.newBuilder().setIndex(index).addAllToolCalls(messages)).build());
        }
    }

    private void choiceFinished(int index, FinishReason reason, String reasoning, String text) {
        if (closed) {
            return;
        }
        choices[index].setFinishReason(madeCalls[index] && reason == FinishReason.STOP
                ? dev.switchyard.proto.v1.FinishReason.FINISH_REASON_TOOL_CALLS : finishReason(reason));
        if (unary) {
            texts[index].append(text);
            reasonings[index].append(reasoning);
        } else if (includeText && !(text.isEmpty() && reasoning.isEmpty())) {
            send(GenerateResponse.newBuilder().setRequestId(requestId)
                    .setChunk(Chunk.newBuilder().setIndex(index).setText(text).setReasoningText(reasoning)).build());
        }
    }

    private void choiceFailed(RuntimeException error) {
        if (closed) {
            return;
        }
        // One failed choice fails the call: the client gets the error, the others stop.
        send(GenerateResponse.newBuilder().setRequestId(requestId).setError(dev.switchyard.proto.v1.Error.newBuilder()
                .setCode("internal_error").setMessage("generation failed: " + error.getMessage())).build());
        finish();
    }

    private void complete(Usage usage) {
        if (closed) {
            return;
        }
        if (access != null) {
            access.generated(times.figures(model.name(), !unary, usage));
        }
        dev.switchyard.proto.v1.Usage.Builder counts = dev.switchyard.proto.v1.Usage.newBuilder()
                .setPromptTokens(usage.promptTokens()).setCompletionTokens(usage.completionTokens())
                .setCachedTokens(usage.cachedTokens())
                .setTotalTokens(usage.totalTokens());
        if (usage.prediction() != null) {
            counts.setAcceptedPredictionTokens(usage.prediction().accepted())
                    .setRejectedPredictionTokens(usage.prediction().rejected());
        }
        Complete.Builder complete = Complete.newBuilder().setUsage(counts);
        for (int i = 0; i < choices.length; i++) {
            if (unary && includeText) {
                choices[i].setText(texts[i].toString()).setReasoningText(reasonings[i].toString());
            }
            complete.addChoices(choices[i]);
        }
        send(GenerateResponse.newBuilder().setRequestId(requestId).setComplete(complete).build());
        finish();
    }

    private void send(GenerateResponse response) {
        if (!out.isCancelled()) {
            out.onNext(response);
        }
    }

    private void finish() {
        closed = true;
        onEnd.run();
        if (!out.isCancelled()) {
            out.onCompleted();
        }
    }

    private dev.switchyard.proto.v1.TokenLogprob logprob(TokenLogprob lp) {
        dev.switchyard.proto.v1.TokenLogprob.Builder b = dev.switchyard.proto.v1.TokenLogprob.newBuilder()
                .setTokenId(lp.token()).setToken(model.tokenText(lp.token())).setLogprob(lp.logprob()).setRank(lp.rank());
        for (int i = 0; i < lp.topIds().length; i++) {
            b.addTop(TopLogprob.newBuilder().setTokenId(lp.topIds()[i]).setToken(model.tokenText(lp.topIds()[i]))
                    .setLogprob(lp.topLogprobs()[i]));
        }
        return b.build();
    }

    static dev.switchyard.proto.v1.FinishReason finishReason(FinishReason reason) {
        return switch (reason) {
            case STOP -> dev.switchyard.proto.v1.FinishReason.FINISH_REASON_STOP;
            case LENGTH -> dev.switchyard.proto.v1.FinishReason.FINISH_REASON_LENGTH;
            case ABORT -> dev.switchyard.proto.v1.FinishReason.FINISH_REASON_ABORT;
        };
    }
}
