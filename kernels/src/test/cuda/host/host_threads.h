// Runs a kernel's blocks on the host: each block's threads as fibers taking turns on
// the calling thread, barriers for __syncthreads and __syncwarp, shuffles through a per-warp
// exchange; blocks one after another (so `__shared__` may be a static). A thread runs until it
// waits at a barrier, then the next one that can go on runs: what a block does between barriers is
// unordered on a GPU, so any order is one a GPU could take. Fibers switch in user space (without a
// system call on x86-64), where real threads (one per CUDA thread, on a machine of two cores)
// spent their time waking one another in the kernel. Enough for the test harnesses to run whole kernels where no GPU is.
#pragma once
#define SWITCHYARD_HOST_THREADS 1
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <ucontext.h>
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

// Switching between fibers: saves the callee-saved registers on the current stack and its stack
// pointer in *from, then takes up the stack `to` (a system call free switch on x86-64, where
// swapcontext's signal mask costs a system call per switch; ucontext elsewhere).
#if defined(__x86_64__)
#define SWITCHYARD_HOST_FIBER_ASM 1
extern "C" void switchyard_host_switch(void** from, void* to);
asm(R"(
    .text
    .globl switchyard_host_switch
    .hidden switchyard_host_switch
    .type switchyard_host_switch, @function
switchyard_host_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size switchyard_host_switch, .-switchyard_host_switch
)");
#endif

// A barrier among some of a block's fibers: the last to arrive lets the others go on.
struct HostBarrier {
    int expected = 0;
    int arrived = 0;
    unsigned long phase = 0;
};

struct HostFiber {
#ifdef SWITCHYARD_HOST_FIBER_ASM
    void* sp = nullptr;
#else
    ucontext_t context;
#endif
    std::unique_ptr<char[]> stack;  // left uninitialized: a fiber writes its stack before it reads it
    size_t stackSize = 0;
    dim3 thread;
    int warp = 0, lane = 0;
    bool done = false;
    const HostBarrier* waitingOn = nullptr;  // null: runnable
    unsigned long waitedPhase = 0;
};

struct HostBlock {
    std::vector<HostBarrier> warps;
    HostBarrier block;
    std::vector<std::array<uint64_t, 32>> exchange;
    std::vector<HostFiber> fibers;
#ifdef SWITCHYARD_HOST_FIBER_ASM
    void* scheduler = nullptr;
#else
    ucontext_t scheduler;
#endif
    int current = 0;
    const std::function<void()>* kernel = nullptr;
};
inline thread_local dim3 threadIdx, blockIdx, blockDim, gridDim;
inline thread_local HostBlock* host_block;
inline thread_local int host_warp, host_lane;

// Waits at `b` until every fiber it expects has arrived, letting the others run meanwhile.
inline void host_arrive_and_wait(HostBarrier& b) {
    unsigned long phase = b.phase;
    if (++b.arrived == b.expected) {
        b.arrived = 0;
        ++b.phase;
        return;
    }
    HostBlock* blk = host_block;
    HostFiber& self = blk->fibers[blk->current];
    self.waitingOn = &b;
    self.waitedPhase = phase;
#ifdef SWITCHYARD_HOST_FIBER_ASM
    switchyard_host_switch(&self.sp, blk->scheduler);
#else
    swapcontext(&self.context, &blk->scheduler);
#endif
}

inline void __syncthreads() {
    host_arrive_and_wait(host_block->block);
}
inline void __syncwarp(unsigned = 0xffffffffu) {
    host_arrive_and_wait(host_block->warps[host_warp]);
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

// A fiber's whole life: the kernel, for the block its scheduler is on; then back to the scheduler
// for good (with ucontext, through uc_link).
inline void host_fiber_main() {
    HostBlock* blk = host_block;
    (*blk->kernel)();
    HostFiber& self = blk->fibers[blk->current];
    self.done = true;
#ifdef SWITCHYARD_HOST_FIBER_ASM
    switchyard_host_switch(&self.sp, blk->scheduler);
    std::abort();  // a finished fiber is never resumed
#endif
}

// Makes fiber f start at host_fiber_main when next resumed.
inline void host_start_fiber(HostBlock& b, HostFiber& f) {
    f.done = false;
    f.waitingOn = nullptr;
#ifdef SWITCHYARD_HOST_FIBER_ASM
    // the stack as switchyard_host_switch leaves one: six saved registers, then the address its ret
    // jumps to, above which a call would have left its return address (16-byte alignment at entry + 8)
    uintptr_t top = ((uintptr_t)(f.stack.get() + f.stackSize)) & ~(uintptr_t)15;
    void** sp = (void**)top;
    *--sp = nullptr;
    *--sp = (void*)&host_fiber_main;
    for (int r = 0; r < 6; r++) {
        *--sp = nullptr;
    }
    f.sp = sp;
#else
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = f.stack.get();
    f.context.uc_stack.ss_size = f.stackSize;
    f.context.uc_link = &b.scheduler;
    makecontext(&f.context, host_fiber_main, 0);
#endif
}

// Points the thread's CUDA variables at fiber f and runs it until it waits or ends.
inline void host_resume(HostBlock& b, int f) {
    HostFiber& fiber = b.fibers[f];
    b.current = f;
    threadIdx = fiber.thread;
    host_warp = fiber.warp;
    host_lane = fiber.lane;
    fiber.waitingOn = nullptr;
#ifdef SWITCHYARD_HOST_FIBER_ASM
    switchyard_host_switch(&b.scheduler, fiber.sp);
#else
    swapcontext(&b.scheduler, &fiber.context);
#endif
}

// Runs `kernel` for every block of `grid` with `block` threads (x, then y), blocks in turn, each
// block's threads as fibers on this thread, their stacks kept from block to block.
inline void host_launch(dim3 grid, dim3 block, const std::function<void()>& kernel) {
    constexpr size_t STACK = 256 * 1024;
    int n = block.x * block.y;
    int warps = (n + 31) / 32;
    HostBlock b;
    b.kernel = &kernel;
    b.warps.resize(warps);
    for (int w = 0; w < warps; w++) {
        b.warps[w].expected = std::min(32, n - 32 * w);
    }
    b.block.expected = n;
    b.exchange.resize(warps);
    b.fibers.resize(n);
    for (int t = 0; t < n; t++) {
        b.fibers[t].stack.reset(new char[STACK]);
        b.fibers[t].stackSize = STACK;
        b.fibers[t].thread = {(unsigned)t % block.x, (unsigned)t / block.x, 0};
        b.fibers[t].warp = t / 32;
        b.fibers[t].lane = t % 32;
    }
    HostBlock* saved = host_block;
    host_block = &b;
    blockDim = block;
    gridDim = grid;
    for (unsigned gy = 0; gy < grid.y; gy++) {
        for (unsigned gx = 0; gx < grid.x; gx++) {
            blockIdx = {gx, gy, 0};
            for (int t = 0; t < n; t++) {
                host_start_fiber(b, b.fibers[t]);
            }
            for (int remaining = n; remaining > 0;) {
                bool progressed = false;
                for (int t = 0; t < n; t++) {
                    HostFiber& f = b.fibers[t];
                    if (f.done || (f.waitingOn != nullptr && f.waitingOn->phase == f.waitedPhase)) {
                        continue;
                    }
                    host_resume(b, t);
                    progressed = true;
                    if (f.done) {
                        remaining--;
                    }
                }
                if (!progressed) {
                    std::fprintf(stderr, "host_launch: every thread of block (%u, %u) waits at a barrier\n", gx, gy);
                    std::abort();
                }
            }
        }
    }
    host_block = saved;
}
