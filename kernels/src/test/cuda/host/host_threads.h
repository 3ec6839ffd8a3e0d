// Runs a kernel's blocks on the host: each block's threads as real threads, barriers for
// __syncthreads and __syncwarp, shuffles through a per-warp exchange; blocks one after another (so
// `__shared__` may be a static). Enough for the test harnesses to run whole kernels where no GPU is.
#pragma once
#define SWITCHYARD_HOST_THREADS 1
#include <array>
#include <barrier>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
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
struct alignas(16) uint4 {
    unsigned x, y, z, w;
};
inline uint4 make_uint4(unsigned a, unsigned b, unsigned c, unsigned d) {
    return {a, b, c, d};
}
// the wide kernels' 16-byte loads need 16-byte alignment on the device: so here
inline float4 __ldg(const float4* p) {
    if ((uintptr_t)p % 16 != 0) {
        std::fprintf(stderr, "misaligned 16-byte load\n");
        std::abort();
    }
    return *p;
}
inline unsigned __funnelshift_r(unsigned lo, unsigned hi, unsigned shift) {
    return (unsigned)(((((uint64_t)hi) << 32) | lo) >> (shift & 31));
}
inline int atomicAdd(int* p, int v) {
    return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
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

template <class T>
inline T __shfl_up_sync(unsigned, T v, int offset) {
    auto& x = host_block->exchange[host_warp];
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    x[host_lane] = bits;
    __syncwarp();
    uint64_t b = x[host_lane >= offset ? host_lane - offset : host_lane];
    __syncwarp();
    T r;
    std::memcpy(&r, &b, sizeof(T));
    return r;
}

// Runs `kernel` for every block of `grid` with `block` threads (x, then y), blocks in turn, on one
// set of threads started per launch (starting threads per block made the tests slow).
inline void host_launch(dim3 grid, dim3 block, const std::function<void()>& kernel) {
    int n = block.x * block.y;
    int warps = (n + 31) / 32;
    HostBlock b;
    for (int w = 0; w < warps; w++) {
        b.warps.emplace_back(new std::barrier<>(std::min(32, n - 32 * w)));
    }
    b.block.reset(new std::barrier<>(n));
    b.exchange.resize(warps);
    std::barrier<> start(n + 1);
    std::barrier<> done(n + 1);
    dim3 current;
    bool stop = false;
    std::vector<std::thread> threads;
    for (int t = 0; t < n; t++) {
        threads.emplace_back([&, t] {
            threadIdx = {(unsigned)t % block.x, (unsigned)t / block.x, 0};
            blockDim = block;
            gridDim = grid;
            host_block = &b;
            host_warp = t / 32;
            host_lane = t % 32;
            while (true) {
                start.arrive_and_wait();
                if (stop) {
                    return;
                }
                blockIdx = current;
                kernel();
                done.arrive_and_wait();
            }
        });
    }
    for (unsigned gy = 0; gy < grid.y; gy++) {
        for (unsigned gx = 0; gx < grid.x; gx++) {
            current = {gx, gy, 0};
            start.arrive_and_wait();
            done.arrive_and_wait();
        }
    }
    stop = true;
    start.arrive_and_wait();
    for (auto& t : threads) {
        t.join();
    }
}
