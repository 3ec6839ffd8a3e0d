package dev.switchyard.cache.timing;

/**
 * Time as one decode stream sees it: the device computes layer after layer while one copy engine
 * moves experts over the link in issue order (demand misses queue behind prefetches already
 * issued, as they do on a single copy stream). A layer starts when all its experts have arrived;
 * the wait is stall. Prefetches issued while a layer computes overlap with it.
 */
public final class Timeline {

    private final DeviceProfile device;
    private final ModelShape shape;
    private final double copySeconds;
    private final double[] arrival; // per key: when its latest copy lands
    private double now;
    private double linkFree;
    private long bytesMoved;

    public Timeline(DeviceProfile device, ModelShape shape, int keySpace) {
        this.device = device;
        this.shape = shape;
        this.copySeconds = shape.expertBytes() / device.linkBytesPerSecond();
        this.arrival = new double[keySpace];
    }

    public double now() {
        return now;
    }

    /** Starts a copy of {@code key} now (behind those queued); returns when it lands. */
    public double copy(int key) {
        double start = Math.max(linkFree, now);
        linkFree = start + copySeconds;
        arrival[key] = linkFree;
        bytesMoved += shape.expertBytes();
        return linkFree;
    }

    /** When a resident expert is usable: now, or when its copy in flight lands. */
    public double arrival(int key) {
        return arrival[key];
    }

    /** Waits until {@code ready}; returns the stall. */
    public double waitUntil(double ready) {
        double stall = Math.max(0, ready - now);
        now += stall;
        return stall;
    }

    /** A layer's compute with {@code experts} distinct experts, memory-bound. */
    public void computeLayer(int experts) {
        now += (shape.denseBytes() + (double) experts * shape.expertBytes()) / device.memoryBytesPerSecond();
    }

    /** The output head, read once per step whatever its batch. */
    public void computeHead() {
        now += shape.headBytes() / device.memoryBytesPerSecond();
    }

    public long bytesMoved() {
        return bytesMoved;
    }
}
