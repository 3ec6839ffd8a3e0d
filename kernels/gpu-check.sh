#!/usr/bin/env bash
# The GPU check: everything Switchyard needs to prove and measure its CUDA backend on a borrowed GPU
# machine that has an NVIDIA driver but no JDK, no Maven and no network.
#
#   kernels/gpu-check.sh pack             here: build, then pack a jlink'd JDK 25 runtime and the
#                                         jars into out/gpu-check/switchyard-gpu-check.tar.gz
#   kernels/gpu-check.sh run [ARCHIVE]    there: unpack, run the GPU tests, measure host-to-device
#                                         bandwidth (pageable and pinned, 1 GiB) and each decode op's
#                                         share of the device's bandwidth, generate the bench
#                                         model and measure prefill and decode tok/s on CUDA, and decode
#                                         with expert offloading at 50% and 25% expert memory, then
#                                         resident and at 25% for the gpu-bench model (Mixtral-8x7B cut to 4 layers,
#                                         11.6 GB in bf16; written to the unpack folder, deleted after);
#                                         all of it into one log ($OUT/gpu-check.log, else ./gpu-check.log)
#
# GPU_CHECK_STEPS=REGEX runs only the steps whose names match (e.g. 'tests|model|decode'), for a
# shorter check after a change; the model steps must match too where a bench step needs them.
#
# The run stays under 8 minutes (each step has its own time limit, 475 s in all) and exits non-zero
# when a GPU test fails or a step times out. The gpu-bench steps need about 12 GB of free disk and
# device memory. The archive is a build output (out/ is ignored), never committed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ARCHIVE_DIR="$ROOT/out/gpu-check"
ARCHIVE="$ARCHIVE_DIR/switchyard-gpu-check.tar.gz"
MODULES=java.base,jdk.incubator.vector,java.logging,java.management,jdk.unsupported,java.naming
# the launcher's flags: the CPU kernels compiled on their own (this runtime has no jdk.management, so the
# backend's own compiler directive cannot be added from inside the process)
JVM_FLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC
  -XX:CompileCommand=quiet "-XX:CompileCommand=dontinline,dev.switchyard.kernels.cpu.*::dot*"
  "-XX:CompileCommand=dontinline,dev.switchyard.kernels.cpu.*::decodeChunks")
# The GPU tests: the kernel tests against the CPU backend, the stub-driver fallback, the expert
# slots (pinned and staged copies, reuse ordered after readers), whole models in place and offloaded,
# embeddings read back from the device, a draft model on it, and LoRA adapters applied there.
GPU_TESTS=(dev.switchyard.kernels.cuda.CudaWeightTest dev.switchyard.kernels.cuda.CudaFallbackTest
           dev.switchyard.kernels.cuda.CudaBackendOpsTest dev.switchyard.kernels.cuda.CudaMatmulTest
           dev.switchyard.kernels.cuda.CudaAttentionTest dev.switchyard.kernels.cuda.CudaExpertSlotsTest
           dev.switchyard.kernels.cuda.CudaGraphReplayTest dev.switchyard.kernels.cuda.CudaRoutedExpertsTest
           dev.switchyard.engine.forward.CudaRoutingMatchesCpuTest
           dev.switchyard.engine.generate.CudaGreedyMatchesCpuTest
           dev.switchyard.engine.generate.CudaOffloadingMatchesInPlaceTest
           dev.switchyard.engine.generate.CudaHybridMatchesInPlaceTest
           dev.switchyard.engine.generate.CandidateSamplingMatchesRowsTest
           dev.switchyard.engine.schedule.CudaEmbeddingAndDraftTest
           dev.switchyard.engine.forward.CudaLoraMatchesCpuTest)

die() { echo "gpu-check: $*" >&2; exit 1; }

# Whether the JDK at $1 is release 25 or newer (its release file's JAVA_VERSION).
jdk_is_25() {
  local major
  major=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null)
  [[ -n "$major" && "$major" -ge 25 ]]
}

pack() {
  local jdk="${JAVA_HOME:-}"
  # an unset JAVA_HOME must not make "/bin/jlink" (the system's JDK, maybe older) the one taken
  [[ -n "$jdk" && -x "$jdk/bin/jlink" ]] && jdk_is_25 "$jdk" || jdk=/usr/lib/jvm/temurin-25-jdk-amd64
  [[ -x "$jdk/bin/jlink" ]] && jdk_is_25 "$jdk" || die "no JDK 25 or newer with jlink (set JAVA_HOME)"
  export JAVA_HOME="$jdk"
  [[ -x /usr/local/cuda/bin/nvcc || -x "${CUDA_HOME:-/nonexistent}/bin/nvcc" ]] || command -v nvcc >/dev/null \
    || die "nvcc is needed here: the archive must carry the CUDA kernels"

  echo "gpu-check: building (tests skipped)"
  (cd "$ROOT" && mvn -q -B -o -DskipTests -Pcuda package) || die "build failed"
  "$jdk/bin/jar" --list --file "$ROOT/server/target/switchyard.jar" | grep -c 'kernels/cuda/matmul.fatbin' >/dev/null \
    || die "the jar carries no CUDA kernels"

  local stage="$ARCHIVE_DIR/stage"
  rm -rf "$stage" && mkdir -p "$stage/lib"
  # Stored uncompressed, runtime and jar compress far better as one gzip stream (about 41 MiB in all,
  # against 56 MiB with jlink's and the jar's own compression).
  echo "gpu-check: linking the runtime ($MODULES)"
  "$jdk/bin/jlink" --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages \
    --output "$stage/runtime" 2> >(grep -v 'incubator modules' >&2)
  # The launcher jar, stored, without the native TLS libraries of other platforms than linux-x86_64.
  local exploded="$ARCHIVE_DIR/exploded"
  rm -rf "$exploded" && mkdir -p "$exploded"
  (cd "$exploded" && "$jdk/bin/jar" --extract --file "$ROOT/server/target/switchyard.jar")
  find "$exploded/META-INF/native" -type f ! -name '*linux_x86_64*' -delete 2>/dev/null || true
  "$jdk/bin/jar" --create --no-compress --file "$stage/lib/switchyard.jar" \
    --manifest "$exploded/META-INF/MANIFEST.MF" -C "$exploded" .
  rm -rf "$exploded"
  local module
  for module in kernels engine; do
    "$jdk/bin/jar" --create --file "$stage/lib/$module-tests.jar" -C "$ROOT/$module/target/test-classes" .
  done
  # JUnit and AssertJ for the tests, as the kernels module's test class path names them.
  (cd "$ROOT" && mvn -q -B -o -pl kernels dependency:build-classpath -Dmdep.includeScope=test \
      -Dmdep.outputFile="$stage/test.classpath") || die "could not list the test class path"
  tr ':' '\n' < "$stage/test.classpath" | grep -E 'junit|opentest4j|apiguardian|assertj' | while read -r jar; do
    cp "$jar" "$stage/lib/"
  done
  rm "$stage/test.classpath"
  cp "$ROOT/kernels/gpu-check.sh" "$stage/"
  tar -C "$stage" -cf - . | gzip -9 >"$ARCHIVE"
  rm -rf "$stage"
  echo "gpu-check: $ARCHIVE ($(du -m "$ARCHIVE" | cut -f1) MiB)"
}

# step NAME SECONDS COMMAND...: runs one step into the log with a time limit; remembers failures.
step() {
  local name="$1" limit="$2"
  shift 2
  if [[ -n "${GPU_CHECK_STEPS:-}" && ! "$name" =~ $GPU_CHECK_STEPS ]]; then
    echo "=== $name: skipped (GPU_CHECK_STEPS)" >>"$LOG"
    return 0
  fi
  echo "=== $name (limit ${limit}s) $(date -u +%H:%M:%S)" >>"$LOG"
  local start=$SECONDS rc=0
  timeout "$limit" "$@" >>"$LOG" 2>&1 || rc=$?
  echo "=== $name: exit $rc after $((SECONDS - start)) s" >>"$LOG"
  [[ $rc == 0 ]] || FAILED+=("$name (exit $rc)")
}

run() {
  local archive="${1:-$ARCHIVE}"
  LOG="${OUT:-$PWD}/gpu-check.log"
  FAILED=()
  local home
  home="$(mktemp -d /tmp/switchyard-gpu-check.XXXXXX)"
  tar -C "$home" -xzf "$archive"
  local java="$home/runtime/bin/java"
  local cp="$home/lib/*"
  : >"$LOG"
  {
    echo "switchyard GPU check, $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(hostname)"
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
    "$java" -version 2>&1
  } >>"$LOG" 2>&1

  step "GPU tests" 100 "$java" "${JVM_FLAGS[@]}" -Xmx8g -cp "$cp" dev.switchyard.kernels.cuda.GpuTestRunner "${GPU_TESTS[@]}"
  step "host-to-device bandwidth" 15 "$java" "${JVM_FLAGS[@]}" -cp "$cp" dev.switchyard.kernels.cuda.HostToDeviceBandwidth 1024
  # Each weight-reading op of decode alone, on Mixtral-8x7B's shapes: its share of the device's bandwidth.
  step "op bandwidth" 40 "$java" "${JVM_FLAGS[@]}" -cp "$cp" dev.switchyard.kernels.cuda.DeviceOpBandwidth bf16 q8_0
  step "bench model" 20 "$java" "${JVM_FLAGS[@]}" -jar "$home/lib/switchyard.jar" make-model --arch mixtral --preset bench \
    --dtype q8_0 -o "$home/bench.gguf"
  step "bench on cuda" 45 "$java" "${JVM_FLAGS[@]}" -jar "$home/lib/switchyard.jar" bench --model "$home/bench.gguf" \
    --device cuda --batch 1,16 --prompt-tokens 128 --gen-tokens 32 --repeat 1
  # The same kernels launched one by one: what graph replay of repeated kernel chunks buys.
  step "bench on cuda, graphs off" 20 env SWITCHYARD_CUDA_GRAPHS=off "$java" "${JVM_FLAGS[@]}" -jar "$home/lib/switchyard.jar" \
    bench --model "$home/bench.gguf" --device cuda --batch 1 --prompt-tokens 16 --gen-tokens 32 --repeat 1
  # Prompts through the tiled kernels instead of the tensor-core matmul: what tensor cores buy prefill.
  step "bench on cuda, tensor cores off" 20 env SWITCHYARD_CUDA_TENSOR_CORES=off "$java" "${JVM_FLAGS[@]}" \
    -jar "$home/lib/switchyard.jar" bench --model "$home/bench.gguf" --device cuda --batch 1 --prompt-tokens 128 \
    --gen-tokens 8 --repeat 1
  # Expert offloading on CUDA: decode with half, then a quarter, of the routed experts in device slots
  # (copies at the real link's speed, the combined predictor prefetching a layer ahead).
  step "bench offload on cuda (50%, 25%)" 30 bash -c 'for m in 50% 25%; do "$0" "$@" --expert-memory "$m" || exit 1; done' \
    "$java" "${JVM_FLAGS[@]}" -jar "$home/lib/switchyard.jar" bench --model "$home/bench.gguf" --device cuda \
    --batch 1,8 --prompt-tokens 16 --gen-tokens 32 --repeat 1 --predictor combined --prefetch-depth 1
  rm -f "$home/bench.gguf"
  # Mixtral-8x7B's shapes: 2.9 GB of weights per layer; decode at batch 1 and 8 (every expert busy).
  # Written to /dev/shm where it has room (no disk flush of 11.6 GB), else beside the runtime.
  local big="$home"
  if [[ -d /dev/shm && -w /dev/shm ]] && (( $(df -Pk /dev/shm | awk 'NR == 2 { print $4 }') > 16 * 1024 * 1024 )); then
    big="$(mktemp -d /dev/shm/switchyard-gpu-bench.XXXXXX)"
  fi
  echo "gpu-bench model in $big ($(df -Ph "$big" | awk 'NR == 2 { print $4 }') free)" >>"$LOG"
  step "gpu-bench model" 45 "$java" "${JVM_FLAGS[@]}" -jar "$home/lib/switchyard.jar" make-model --arch mixtral \
    --preset gpu-bench --dtype bf16 -o "$big/gpu-bench.gguf"
  step "gpu-bench decode on cuda" 40 "$java" "${JVM_FLAGS[@]}" -jar "$home/lib/switchyard.jar" bench \
    --model "$big/gpu-bench.gguf" --device cuda --batch 1,8 --prompt-tokens 16 --gen-tokens 64 --repeat 1
  step "gpu-bench decode on cuda, graphs off" 30 env SWITCHYARD_CUDA_GRAPHS=off "$java" "${JVM_FLAGS[@]}" \
    -jar "$home/lib/switchyard.jar" bench --model "$big/gpu-bench.gguf" --device cuda --batch 1 --prompt-tokens 16 \
    --gen-tokens 64 --repeat 1
  # A quarter of its experts in device slots: the stall per token against the link's bound, then
  # with hybrid execution (misses the cost model finds cheaper computed on the host).
  step "gpu-bench offload on cuda (25%, hybrid off and on)" 70 bash -c \
    'for h in off on; do "$0" "$@" --hybrid "$h" || exit 1; done' "$java" "${JVM_FLAGS[@]}" -jar "$home/lib/switchyard.jar" \
    bench --model "$big/gpu-bench.gguf" --device cuda --batch 1 --prompt-tokens 16 --gen-tokens 32 --repeat 1 \
    --expert-memory 25% --predictor combined --prefetch-depth 1
  if [[ "$big" == "$home" ]]; then rm -f "$big"/gpu-bench.gguf*; else rm -rf "$big"; fi

  rm -rf "$home"
  if ((${#FAILED[@]})); then
    echo "gpu-check: FAILED: ${FAILED[*]}" | tee -a "$LOG" >&2
    exit 1
  fi
  echo "gpu-check: all steps passed" | tee -a "$LOG"
}

case "${1:-}" in
  pack) pack ;;
  run) shift; run "$@" ;;
  *) die "usage: gpu-check.sh pack | run [ARCHIVE]" ;;
esac
