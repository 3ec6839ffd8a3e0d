package dev.switchyard.kernels.format;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * One codebook of the IQ1, IQ2 and IQ3 formats: {@link #size()} grid points of {@link #dim()}
 * coordinates, each coordinate one of a handful of levels. A stored index picks a point; its
 * coordinates are the weights' magnitudes (IQ2, IQ3) or values (IQ1) before sign, shift and scale.
 *
 * <p>The points are data that files in these formats are written against, so they come from
 * {@code iq-grids.txt} beside this class (level indices, first coordinate first), and
 * {@link #packed} gives each point as ggml lays it out in memory: one byte per coordinate,
 * little-endian. The quantizers' nearest-point search ({@link #nearest}) is built on first use.
 */
public final class IQGrid {

    private static final String RESOURCE = "iq-grids.txt";
    /** Candidates kept per lattice point for the nearest-point search. */
    private static final int CANDIDATES = 8;
    private static final Map<String, IQGrid> GRIDS = read();

    /** IQ2_XXS: 256 points of 8 magnitudes (8, 25, 43). */
    public static final IQGrid IQ2_XXS = GRIDS.get("iq2_xxs");
    /** IQ2_XS: 512 points of 8 magnitudes (8, 25, 43). */
    public static final IQGrid IQ2_XS = GRIDS.get("iq2_xs");
    /** IQ2_S: 1024 points of 8 magnitudes (8, 25, 43). */
    public static final IQGrid IQ2_S = GRIDS.get("iq2_s");
    /** IQ3_XXS: 256 points of 4 magnitudes (4, 12, ..., 52, 62). */
    public static final IQGrid IQ3_XXS = GRIDS.get("iq3_xxs");
    /** IQ3_S: 512 points of 4 magnitudes (1, 3, ..., 15). */
    public static final IQGrid IQ3_S = GRIDS.get("iq3_s");
    /** IQ1_S and IQ1_M: 2048 points of 8 values (-1, 0, 1). */
    public static final IQGrid IQ1_S = GRIDS.get("iq1_s");

    private final String name;
    private final int size;
    private final int dim;
    private final int[] levels;
    private final byte[] values;
    private volatile int[] candidates;

    private IQGrid(String name, int size, int dim, int[] levels, byte[] values) {
        this.name = name;
        this.size = size;
        this.dim = dim;
        this.levels = levels;
        this.values = values;
    }

    /** The grid's name in the resource, as its format is named in lower case. */
    public String name() {
        return name;
    }

    /** Points in the grid. */
    public int size() {
        return size;
    }

    /** Coordinates per point (8, or 4 for the IQ3 grids). */
    public int dim() {
        return dim;
    }

    /** The largest level. */
    public int maxLevel() {
        return levels[levels.length - 1];
    }

    /**
     * A group's eight sign bits from the seven that IQ2_XXS, IQ2_XS and IQ3_XXS store: the eighth
     * makes the count of negatives even.
     */
    public static int evenSigns(int seven) {
        return seven | (Integer.bitCount(seven) & 1) << 7;
    }

    /** Coordinate j of point {@code entry}. */
    public int value(int entry, int j) {
        return values[entry * dim + j];
    }

    /** Point {@code entry} as ggml stores it: coordinate j in byte j (little-endian), 4 or 8 bytes. */
    public long packed(int entry) {
        long p = 0;
        for (int j = dim - 1; j >= 0; j--) {
            p = (p << 8) | (values[entry * dim + j] & 0xFFL);
        }
        return p;
    }

    /** Every point packed as {@link #packed} does, indexed by entry. */
    public long[] packedTable() {
        long[] t = new long[size];
        for (int e = 0; e < size; e++) {
            t[e] = packed(e);
        }
        return t;
    }

    /**
     * Decodes point {@code entry} with signs, as the IQ2 and IQ3 formats do: coordinate j to
     * {@code dst[y + j]} as {@code db * value * (-1 if bit firstSign + j of signs)}.
     */
    void decodeSigned(int entry, int signs, int firstSign, float db, float[] dst, int y) {
        for (int j = 0; j < dim; j++) {
            dst[y + j] = db * values[entry * dim + j] * ((signs & (1 << (firstSign + j))) != 0 ? -1f : 1f);
        }
    }

    /** Decodes point {@code entry} shifted, as the IQ1 formats do: coordinate j to {@code dl * (value + delta)}. */
    void decodeShifted(int entry, float delta, float dl, float[] dst, int y) {
        for (int j = 0; j < dim; j++) {
            dst[y + j] = dl * (values[entry * dim + j] + delta);
        }
    }

    /**
     * The point nearest (in squared distance) to {@code t[off .. off + dim)}, among the few points
     * nearest to the lattice point that rounding each coordinate to its nearest level gives. Used
     * by the quantizers; not exact (a point outside those few may be nearer) but close.
     */
    int nearest(float[] t, int off) {
        int[] c = candidates();
        int lattice = 0;
        for (int j = dim - 1; j >= 0; j--) {
            lattice = lattice * levels.length + nearestLevel(t[off + j]);
        }
        int best = c[lattice * CANDIDATES];
        float bestErr = Float.POSITIVE_INFINITY;
        for (int i = 0; i < CANDIDATES; i++) {
            int e = c[lattice * CANDIDATES + i];
            float err = 0f;
            for (int j = 0; j < dim; j++) {
                float diff = t[off + j] - values[e * dim + j];
                err += diff * diff;
            }
            if (err < bestErr) {
                bestErr = err;
                best = e;
            }
        }
        return best;
    }

    private int nearestLevel(float v) {
        int best = 0;
        float bestDist = Math.abs(v - levels[0]);
        for (int i = 1; i < levels.length; i++) {
            float dist = Math.abs(v - levels[i]);
            if (dist < bestDist) {
                bestDist = dist;
                best = i;
            }
        }
        return best;
    }

    /** For each lattice point (level indices in base levels.length), its CANDIDATES nearest points. */
    private int[] candidates() {
        int[] c = candidates;
        if (c == null) {
            synchronized (this) {
                c = candidates;
                if (c == null) {
                    c = buildCandidates();
                    candidates = c;
                }
            }
        }
        return c;
    }

    private int[] buildCandidates() {
        int base = levels.length;
        int points = (int) Math.pow(base, dim);
        int[] c = new int[points * CANDIDATES];
        int[] coord = new int[dim];
        int[] bestE = new int[CANDIDATES];
        int[] bestD = new int[CANDIDATES];
        for (int p = 0; p < points; p++) {
            int rest = p;
            for (int j = 0; j < dim; j++) {
                coord[j] = levels[rest % base];
                rest /= base;
            }
            Arrays.fill(bestD, Integer.MAX_VALUE);
            for (int e = 0; e < size; e++) {
                int dist = 0;
                for (int j = 0; j < dim; j++) {
                    int diff = coord[j] - values[e * dim + j];
                    dist += diff * diff;
                }
                // Insertion into the sorted short list; ties keep the lower entry first.
                int at = CANDIDATES;
                while (at > 0 && dist < bestD[at - 1]) {
                    at--;
                }
                if (at < CANDIDATES) {
                    System.arraycopy(bestD, at, bestD, at + 1, CANDIDATES - 1 - at);
                    System.arraycopy(bestE, at, bestE, at + 1, CANDIDATES - 1 - at);
                    bestD[at] = dist;
                    bestE[at] = e;
                }
            }
            System.arraycopy(bestE, 0, c, p * CANDIDATES, CANDIDATES);
        }
        return c;
    }

    private static Map<String, IQGrid> read() {
        Map<String, IQGrid> grids = new HashMap<>();
        try (InputStream in = IQGrid.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the build");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("grid ")) {
                    IQGrid g = readGrid(line, r);
                    grids.put(g.name, g);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return grids;
    }

    /** Reads the points after a header {@code grid NAME SIZE DIM L0,L1,...}. */
    private static IQGrid readGrid(String header, BufferedReader r) throws IOException {
        String[] h = header.split(" ");
        String name = h[1];
        int size = Integer.parseInt(h[2]);
        int dim = Integer.parseInt(h[3]);
        int[] levels = Arrays.stream(h[4].split(",")).mapToInt(Integer::parseInt).toArray();
        byte[] values = new byte[size * dim];
        int entry = 0;
        while (entry < size) {
            String line = r.readLine();
            if (line == null) {
                throw new IllegalStateException(RESOURCE + ": grid " + name + " ends after " + entry + " points");
            }
            for (String point : line.trim().split(" +")) {
                if (point.length() != dim) {
                    throw new IllegalStateException(RESOURCE + ": grid " + name + " point " + entry + " is not "
                            + dim + " digits");
                }
                for (int j = 0; j < dim; j++) {
                    values[entry * dim + j] = (byte) levels[point.charAt(j) - '0'];
                }
                entry++;
            }
        }
        return new IQGrid(name, size, dim, levels, values);
    }
}
