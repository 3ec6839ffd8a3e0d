package dev.switchyard.loadtest.metrics;

import java.util.Map;
import java.util.TreeMap;

/**
 * Prometheus text exposition (format 0.0.4) reduced to one number per metric name: the sum over its
 * label sets. The load test asks server-wide questions ("how many preemptions?"), so the per-model or
 * per-reason split does not matter; histogram series keep their own names ({@code _bucket},
 * {@code _sum}, {@code _count}).
 */
public final class PrometheusText {

    private PrometheusText() {
    }

    public static Map<String, Double> parse(String text) {
        Map<String, Double> sums = new TreeMap<>();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int nameEnd = 0;
            while (nameEnd < line.length() && line.charAt(nameEnd) != '{' && !Character.isWhitespace(line.charAt(nameEnd))) {
                nameEnd++;
            }
            String name = line.substring(0, nameEnd);
            int valueStart = nameEnd;
            if (valueStart < line.length() && line.charAt(valueStart) == '{') {
                valueStart = closingBrace(line, valueStart) + 1;
            }
            String[] rest = line.substring(Math.min(valueStart, line.length())).strip().split("\\s+");
            if (name.isEmpty() || rest.length == 0 || rest[0].isEmpty()) {
                continue;
            }
            Double value = number(rest[0]);
            if (value != null) {
                sums.merge(name, value, Double::sum);
            }
        }
        return sums;
    }

    /** The index of the brace closing the label set, skipping braces inside quoted label values. */
    private static int closingBrace(String line, int open) {
        boolean quoted = false;
        for (int i = open + 1; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\\' && quoted) {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == '}' && !quoted) {
                return i;
            }
        }
        return line.length();
    }

    private static Double number(String s) {
        return switch (s) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> {
                try {
                    yield Double.parseDouble(s);
                } catch (NumberFormatException e) {
                    yield null;
                }
            }
        };
    }
}
