package dev.switchyard.cache.timing;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A device and its host link, as the timing model needs them: how fast experts cross the link and
 * how fast the device reads the weights one layer computes. Batch-1 decode is memory-bound, so a
 * layer's compute time is its bytes over {@code memoryBytesPerSecond}.
 *
 * <p>Figures are achievable rates, not datasheet peaks: about 78% of PCIe's raw rate for pinned
 * host-to-device copies (25 GB/s of 32 on PCIe 4 x16, 50 of 64 on PCIe 5 x16, as NVIDIA's
 * bandwidthTest typically shows), and 75% of peak memory bandwidth for decode GEMVs.
 */
public record DeviceProfile(String name, String description, double linkBytesPerSecond,
                            double memoryBytesPerSecond, long memoryBytes) {

    private static final double GB = 1e9;
    private static final double GEMV_EFFICIENCY = 0.75;

    private static final Map<String, DeviceProfile> REGISTRY = new LinkedHashMap<>();

    static {
        add(new DeviceProfile("h200-pcie5", "NVIDIA H200 (141 GB HBM3e, 4.8 TB/s) over PCIe 5 x16",
                50 * GB, 4800 * GB * GEMV_EFFICIENCY, 141_000_000_000L));
        add(new DeviceProfile("rtx4090-pcie4", "24 GB consumer card (RTX 4090, 1008 GB/s) over PCIe 4 x16",
                25 * GB, 1008 * GB * GEMV_EFFICIENCY, 24_000_000_000L));
        add(new DeviceProfile("a5000-pcie4", "RTX A5000 (24 GB, 768 GB/s) over PCIe 4 x16",
                25 * GB, 768 * GB * GEMV_EFFICIENCY, 24_000_000_000L));
        add(new DeviceProfile("rtx3060-pcie4", "RTX 3060 (12 GB, 360 GB/s) over PCIe 4 x16",
                25 * GB, 360 * GB * GEMV_EFFICIENCY, 12_000_000_000L));
    }

    private static void add(DeviceProfile p) {
        REGISTRY.put(p.name(), p);
    }

    public static DeviceProfile named(String name) {
        DeviceProfile p = REGISTRY.get(name);
        if (p == null) {
            throw new IllegalArgumentException("unknown device '" + name + "' (choose from " + names() + ")");
        }
        return p;
    }

    public static String names() {
        return String.join(", ", REGISTRY.keySet());
    }
}
