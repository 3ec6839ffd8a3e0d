package dev.switchyard.loadtest.report;

import dev.switchyard.loadtest.metrics.RunSummary;
import java.io.IOException;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report's charts, drawn with xchart and returned as base64 PNG so that the HTML page needs no
 * other file. Each chart has one series per load level, so a sweep's levels share axes.
 */
final class Charts {

    static final int WIDTH = 720;
    static final int HEIGHT = 420;
    private static final int CDF_POINTS = 400;
    private static final int TIME_BUCKETS = 40;

    static {
        // Rendering needs no display; without this a server with no X11 fails in AWT's setup.
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {
    }

    static String latencyCdf(String metric, List<MeasuredRun> runs, Function<MeasuredRun, double[]> values) throws IOException {
        XYChart chart = lineChart(metric + " distribution", metric + " (ms)", "fraction of requests at or below");
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(1.0);
        chart.getStyler().setYAxisDecimalPattern("0.0");
        chart.getStyler().setXAxisDecimalPattern("#,##0.##");
        for (MeasuredRun run : runs) {
            double[] v = values.apply(run);
            if (v.length > 0) {
                double[][] cdf = Samples.cdf(v, CDF_POINTS);
                line(chart, label(run.summary()), cdf[0], cdf[1]);
            }
        }
        return png(chart);
    }

    static String throughputOverTime(List<MeasuredRun> runs) throws IOException {
        XYChart chart = lineChart("Output token throughput over time", "seconds since the start", "output tokens/s");
        chart.getStyler().setXAxisDecimalPattern("0.0");
        chart.getStyler().setYAxisDecimalPattern("#,##0");
        for (MeasuredRun run : runs) {
            if (run.summary().completed() > 0) {
                double[][] xy = Samples.outputThroughputOverTime(run.records(), TIME_BUCKETS);
                line(chart, label(run.summary()), xy[0], xy[1]);
            }
        }
        return png(chart);
    }

    static String ttftAgainstLoad(List<MeasuredRun> runs) throws IOException {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("TTFT against load")
                .xAxisTitle("requests in flight when sent").yAxisTitle("TTFT (ms)").build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setMarkerSize(4);
        chart.getStyler().setXAxisDecimalPattern("#,##0");
        chart.getStyler().setYAxisDecimalPattern("#,##0.#");
        for (MeasuredRun run : runs) {
            if (run.summary().completed() > 0) {
                double[][] xy = Samples.ttftAgainstLoad(run.records());
                chart.addSeries(label(run.summary()), xy[0], xy[1]);
            }
        }
        return png(chart);
    }

    /** A sweep's levels: latency (log scale) against the output throughput each level reached. */
    static String latencyAgainstThroughput(List<MeasuredRun> runs) throws IOException {
        XYChart chart = lineChart("Latency against throughput", "output tokens/s", "ms (log scale)");
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setYAxisDecimalPattern("#,##0.##");
        chart.getStyler().setXAxisDecimalPattern("#,##0");
        List<RunSummary> s = runs.stream().map(MeasuredRun::summary).filter(r -> r.completed() > 0).toList();
        if (!s.isEmpty()) {
            double[] x = s.stream().mapToDouble(RunSummary::outputTokenThroughput).toArray();
            marked(chart, "TTFT p50", x, s.stream().mapToDouble(r -> positive(r.ttft().p50())).toArray());
            marked(chart, "TTFT p99", x, s.stream().mapToDouble(r -> positive(r.ttft().p99())).toArray());
            marked(chart, "TPOT mean", x, s.stream().mapToDouble(r -> positive(r.tpot().mean())).toArray());
            marked(chart, "E2E p50", x, s.stream().mapToDouble(r -> positive(r.e2e().p50())).toArray());
        }
        return png(chart);
    }

    private static XYChart lineChart(String title, String x, String y) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(x).yAxisTitle(y).build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        return chart;
    }

    private static void line(XYChart chart, String name, double[] x, double[] y) {
        chart.addSeries(name, x, y).setMarker(SeriesMarkers.NONE);
    }

    private static void marked(XYChart chart, String name, double[] x, double[] y) {
        chart.addSeries(name, x, y).setMarker(SeriesMarkers.CIRCLE);
    }

    /** A log axis cannot show zero; a millisecond floor keeps an all-zero series drawable. */
    private static double positive(double ms) {
        return Math.max(ms, 1e-3);
    }

    static String label(RunSummary s) {
        return "rate " + ConsoleTable.rate(s.offeredRate());
    }

    private static String png(XYChart chart) throws IOException {
        if (chart.getSeriesMap().isEmpty()) {
            return null;
        }
        return Base64.getEncoder().encodeToString(BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    }
}
