#!/usr/bin/env bash
# Compiles each src/main/cuda/*.cu into one fatbin (SASS for sm_80, sm_90 and sm_90a, PTX for
# compute_90, which newer GPUs JIT-compile) under OUT_DIR, for the jar's resources. Run by the
# Maven profile `cuda` (see pom.xml) when nvcc is found; skips files whose fatbin is up to date.
#
#   kernels/build-fatbin.sh OUT_DIR
#
# nvcc: $NVCC, else $CUDA_HOME/bin/nvcc, else /usr/local/cuda/bin/nvcc, else nvcc on the PATH.
set -euo pipefail

OUT="${1:?usage: build-fatbin.sh OUT_DIR}"
KERNELS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$KERNELS/src/main/cuda"
GRIDS="$KERNELS/src/main/resources/dev/switchyard/kernels/format/iq-grids.txt"

find_nvcc() {
  local c
  for c in "${NVCC:-}" "${CUDA_HOME:+$CUDA_HOME/bin/nvcc}" /usr/local/cuda/bin/nvcc "$(command -v nvcc 2>/dev/null || true)"; do
    [[ -n "$c" && -x "$c" ]] && { echo "$c"; return 0; }
  done
  return 1
}
NVCC_BIN="$(find_nvcc)" || { echo "build-fatbin: no nvcc found (set NVCC or CUDA_HOME)" >&2; exit 1; }

# -fmad=false: no multiply-add is fused unless a kernel says fmaf, so decoding and elementwise
# arithmetic round as the CPU backend's Java does.
FLAGS=(-fatbin -O3 -std=c++17 -fmad=false --threads 0
       -gencode arch=compute_80,code=sm_80
       -gencode arch=compute_90,code=sm_90
       -gencode arch=compute_90a,code=sm_90a
       -gencode arch=compute_90,code=compute_90)

mkdir -p "$OUT"
# common.cuh includes the IQ grids, written from the file the Java codecs read.
GENERATED="$(mktemp -d)"
trap 'rm -rf "$GENERATED"' EXIT
bash "$KERNELS/iq-grids.sh" "$GENERATED/iq_grids.inc"
FLAGS+=(-I "$GENERATED")
start=$(date +%s)
built=0
for cu in "$SRC"/*.cu; do
  name="$(basename "$cu" .cu)"
  bin="$OUT/$name.fatbin"
  if [[ -f "$bin" && -z "$(find "$cu" "$SRC"/*.cuh "$GRIDS" -newer "$bin" -print -quit)" ]]; then
    continue
  fi
  "$NVCC_BIN" "${FLAGS[@]}" -o "$bin.tmp" "$cu"
  mv "$bin.tmp" "$bin"
  built=$((built + 1))
done
echo "build-fatbin: $built of $(ls "$SRC"/*.cu | wc -l) modules compiled with $NVCC_BIN in $(( $(date +%s) - start )) s -> $OUT"
