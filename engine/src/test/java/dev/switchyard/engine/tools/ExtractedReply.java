package dev.switchyard.engine.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

/** What an extractor made of one reply: the content it let through and the calls it took out. */
record ExtractedReply(String content, List<ToolCall> calls) {

    ExtractedReply {
        calls = List.copyOf(calls);
    }

    /** {@code reply} fed as {@code deltas}, the last one by {@code finish}. */
    static ExtractedReply of(ToolCallSyntax syntax, ToolSchemas schemas, List<String> deltas) {
        ToolCallExtractor extractor = syntax.newExtractor(schemas);
        StringBuilder content = new StringBuilder();
        List<ToolCall> calls = new ArrayList<>();
        for (int i = 0; i < deltas.size(); i++) {
            if (i + 1 < deltas.size()) {
                extractor.push(deltas.get(i));
            } else {
                extractor.finish(deltas.get(i));
            }
            content.append(extractor.content());
            calls.addAll(extractor.calls());
        }
        return new ExtractedReply(content.toString(), calls);
    }

    /**
     * What {@code reply} reads as, checked to be the same however it streams: cut in two at every
     * position, and one character at a time.
     */
    static ExtractedReply howeverCut(ToolCallSyntax syntax, ToolSchemas schemas, String reply) {
        List<List<String>> cuts = new ArrayList<>();
        for (int at = 0; at <= reply.length(); at++) {
            cuts.add(List.of(reply.substring(0, at), reply.substring(at)));
        }
        cuts.add(reply.codePoints().mapToObj(Character::toString).toList());
        ExtractedReply first = of(syntax, schemas, List.of(reply));
        for (List<String> deltas : cuts) {
            assertThat(of(syntax, schemas, deltas)).as("read from " + deltas).isEqualTo(first);
        }
        return first;
    }
}
