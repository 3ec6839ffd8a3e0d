package dev.switchyard.server.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * llama.cpp's {@code --logit-bias TOKEN_ID(+|-)BIAS}, e.g. {@code 15043+1} or {@code 2-inf}: a value
 * added to a token's logit. {@code inf} is the strongest bias the sampler takes (100, as OpenAI's
 * {@code logit_bias} caps it), which in practice bans or forces the token.
 */
final class LogitBiasFlag {

    private static final Pattern FORM = Pattern.compile("(\\d+)([+-])(inf|\\d+(?:\\.\\d*)?|\\.\\d+)");
    private static final double STRONGEST = 100;

    private LogitBiasFlag() {
    }

    /** The biases by token id, the last given for a token winning; ids checked against a vocabulary of {@code vocab}. */
    static Map<Integer, Double> parse(List<String> values, int vocab) {
        Map<Integer, Double> biases = new LinkedHashMap<>();
        for (String value : values) {
            Matcher m = FORM.matcher(value.strip());
            if (!m.matches()) {
                throw new IllegalArgumentException("--logit-bias: expected TOKEN_ID+BIAS or TOKEN_ID-BIAS (e.g. 15043+1, "
                        + "2-inf), got '" + value + "'");
            }
            int token;
            try {
                token = Integer.parseInt(m.group(1));
            } catch (NumberFormatException e) {
                token = Integer.MAX_VALUE;
            }
            if (token >= vocab) {
                throw new IllegalArgumentException("--logit-bias: token id " + m.group(1) + " is outside the vocabulary (0.."
                        + (vocab - 1) + ")");
            }
            double size = m.group(3).equals("inf") ? STRONGEST : Double.parseDouble(m.group(3));
            if (size > STRONGEST) {
                throw new IllegalArgumentException("--logit-bias: a bias is at most " + (int) STRONGEST + " (or inf), got '"
                        + value + "'");
            }
            biases.put(token, m.group(2).equals("-") ? -size : size);
        }
        return biases;
    }
}
