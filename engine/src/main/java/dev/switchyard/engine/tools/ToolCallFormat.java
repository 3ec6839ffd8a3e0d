package dev.switchyard.engine.tools;

import java.util.List;

/**
 * How one chat format writes tool calls in a reply: as blocks, each opened by a marker and closed by
 * another (or running to the end of the reply), whose body holds one or more calls.
 */
interface ToolCallFormat {

    /** The markers that open a block of calls. */
    String[] openers();

    /** The marker that closes a block {@code openers()[opener]} opened; null when the block runs to the reply's end. */
    String closer(int opener);

    /**
     * The calls in a block's body (the text between its opener and its closer, or the reply's end);
     * null when the body is not well-formed, which leaves the block in the content as written.
     */
    List<ToolCall> parse(int opener, String body, ToolSchemas schemas);

    /** Every marker the format writes: those the vocabulary files as control tokens must be rendered to be read. */
    List<String> markers();
}
