#!/usr/bin/env bash
# Writes the IQ1-IQ3 grids as C arrays (iq_grids.inc, included by src/main/cuda/common.cuh) from
# the one copy of them the Java codecs read, src/main/resources/.../format/iq-grids.txt: each point
# packed as ggml lays it out, coordinate j in byte j, 64-bit for grids of eight coordinates and
# 32-bit for grids of four. Run by build-fatbin.sh and by the host builds of the kernels in tests.
#
#   kernels/iq-grids.sh OUT_FILE
set -euo pipefail

OUT="${1:?usage: iq-grids.sh OUT_FILE}"
GRIDS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/src/main/resources/dev/switchyard/kernels/format/iq-grids.txt"

awk '
  /^#/ { next }
  /^grid / {
    if (name != "") { print "};" }
    name = toupper($2); dim = $4; split($5, level, ",")
    printf "static __device__ const %s IQ_GRID_%s[%d] = {\n", (dim == 8 ? "uint64_t" : "uint32_t"), name, $3
    next
  }
  name != "" {
    line = "   "
    for (i = 1; i <= NF; i++) {
      hex = ""
      for (j = dim; j >= 1; j--) {
        v = level[substr($i, j, 1) + 1]
        hex = hex sprintf("%02x", v < 0 ? v + 256 : v)
      }
      line = line sprintf(" 0x%s%s,", hex, dim == 8 ? "ull" : "u")
    }
    print line
  }
  END { print "};" }
' "$GRIDS" > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
