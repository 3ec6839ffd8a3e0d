package dev.switchyard.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command's --help renders as written. Picocli formats descriptions as format strings, so a
 * bare percent sign (or a default value with one) makes it give up on the whole text, print a
 * warning on stderr and show the raw string.
 */
class HelpTextsRenderTest {

    @Test
    void everyCommandsHelpFormatsWithoutWarnings() {
        List<CommandLine> all = new ArrayList<>();
        collect(new CommandLine(new SwitchyardCli()), all);
        assertThat(all).hasSizeGreaterThan(10);
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            for (CommandLine command : all) {
                String usage = command.getUsageMessage(CommandLine.Help.Ansi.OFF);
                String name = command.getCommandSpec().qualifiedName();
                assertThat(usage).as(name).doesNotContain("%n").doesNotContain("%%");
            }
        } finally {
            System.setErr(original);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8)).doesNotContain("Could not format");
    }

    private static void collect(CommandLine command, List<CommandLine> into) {
        into.add(command);
        command.getSubcommands().values().stream().distinct().forEach(sub -> collect(sub, into));
    }
}
