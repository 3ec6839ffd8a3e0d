// Runs a kernel's blocks on the host: each block's threads as real threads, barriers for
// __syncthreads and __syncwarp, shuffles through a per-warp exchange; blocks one after another (so
// `__shared__` may be a static). Enough for the test harnesses to run whole kernels where no GPU is.
#pragma once
#define SWITCHYARD_HOST_THREADS 1
#include <array>
#include <barrier>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(n)

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};
struct alignas(16) float4 {
    float x, y, z, w;
};
inline float4 make_float4(float a, float b, float c, float d) {
    return {a, b, c, d};
}

struct HostBlock {
    std::vector<std::unique_ptr<std::barrier<>>> warps;
    std::unique_ptr<std::barrier<>> block;
    std::vector<std::array<uint64_t, 32>> exchange;
};
inline thread_local dim3 threadIdx, blockIdx, blockDim, gridDim;
inline thread_local HostBlock* host_block;
inline thread_local int host_warp, host_lane;

inline void __syncthreads() {
    host_block->block->arrive_and_wait();
}
inline void __syncwarp(unsigned = 0xffffffffu) {
    host_block->warps[host_warp]->arrive_and_wait();
}
template <class T>
inline T __shfl_xor_sync(unsigned, T v, int offset) {
    auto& x = host_block->exchange[host_warp];
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    x[host_lane] = bits;
    __syncwarp();
    uint64_t b = x[host_lane ^ offset];
    __syncwarp();
    T r;
    std::memcpy(&r, &b, sizeof(T));
    return r;
}

// Runs `kernel` for every block of `grid` with `block` threads (x only), blocks in turn.
inline void host_launch(dim3 grid, dim3 block, const std::function<void()>& kernel) {
    int n = block.x;
    int warps = (n + 31) / 32;
    for (unsigned gy = 0; gy < grid.y; gy++) {
        for (unsigned gx = 0; gx < grid.x; gx++) {
            HostBlock b;
            for (int w = 0; w < warps; w++) {
                b.warps.emplace_back(new std::barrier<>(std::min(32, n - 32 * w)));
            }
            b.block.reset(new std::barrier<>(n));
            b.exchange.resize(warps);
            std::vector<std::thread> threads;
            for (int t = 0; t < n; t++) {
                threads.emplace_back([&, t] {
                    threadIdx = {(unsigned)t, 0, 0};
                    blockIdx = {gx, gy, 0};
                    blockDim = block;
                    gridDim = grid;
                    host_block = &b;
                    host_warp = t / 32;
                    host_lane = t % 32;
                    kernel();
                });
            }
            for (auto& t : threads) {
                t.join();
            }
        }
    }
}
