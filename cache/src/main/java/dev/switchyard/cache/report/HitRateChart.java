package dev.switchyard.cache.report;

import dev.switchyard.cache.sim.SimResult;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/** Hit rate against cache size, one line per policy, as PNG or SVG by the file's extension. */
public final class HitRateChart {

    private HitRateChart() {
    }

    public static void write(List<SimResult> results, Path file, String title) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean svg = name.endsWith(".svg");
        if (!svg && !name.endsWith(".png")) {
            throw new IllegalArgumentException("chart file must end in .png or .svg: " + file);
        }
        System.setProperty("java.awt.headless", "true"); // no display on servers and in CI
        XYChart chart = new XYChartBuilder().width(800).height(500).title(title)
                .xAxisTitle("cache size (% of all experts)").yAxisTitle("demand hit rate (%)").build();
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(100.0);
        Map<String, List<double[]>> byPolicy = new LinkedHashMap<>();
        for (SimResult r : results) {
            byPolicy.computeIfAbsent(r.policy(), p -> new ArrayList<>())
                    .add(new double[] {100 * r.cacheFraction(), 100 * r.stats().hitRate()});
        }
        byPolicy.forEach((policy, points) -> {
            points.sort((a, b) -> Double.compare(a[0], b[0]));
            chart.addSeries(policy, points.stream().mapToDouble(p -> p[0]).toArray(),
                    points.stream().mapToDouble(p -> p[1]).toArray());
        });
        String base = file.toString().substring(0, file.toString().length() - 4);
        if (svg) {
            VectorGraphicsEncoder.saveVectorGraphic(chart, base, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        } else {
            BitmapEncoder.saveBitmap(chart, base, BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
