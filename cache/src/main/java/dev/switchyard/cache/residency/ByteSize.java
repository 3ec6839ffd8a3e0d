package dev.switchyard.cache.residency;

import java.util.Locale;

/** Byte counts as people write them on a command line: 512MB, 1.5GiB, 4096. */
public final class ByteSize {

    private ByteSize() {
    }

    public static double parse(String text) {
        String s = text.trim().toUpperCase(Locale.ROOT);
        String[][] units = {{"KIB", "1024"}, {"MIB", "1048576"}, {"GIB", "1073741824"}, {"TIB", "1099511627776"},
                {"KB", "1e3"}, {"MB", "1e6"}, {"GB", "1e9"}, {"TB", "1e12"}, {"B", "1"}};
        double scale = 1;
        for (String[] u : units) {
            if (s.endsWith(u[0])) {
                scale = Double.parseDouble(u[1]);
                s = s.substring(0, s.length() - u[0].length()).trim();
                break;
            }
        }
        try {
            double v = Double.parseDouble(s) * scale;
            if (v < 0 || Double.isNaN(v) || Double.isInfinite(v)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a byte size: '" + text + "' (e.g. 512MB, 1.5GiB, 4096)");
        }
    }
}
