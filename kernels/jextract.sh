#!/usr/bin/env bash
# Regenerates the CUDA driver API bindings, dev.switchyard.kernels.cuda.driver.cuda_h, with jextract
# (https://jdk.java.net/jextract/) from cuda.h. What gets bound is listed in jextract-includes.txt
# beside this script, one jextract option per line: add a function, constant or typedef there and
# rerun; never edit the generated class by hand.
#
#   kernels/jextract.sh            # jextract on the PATH (or $JEXTRACT), cuda.h under $CUDA_HOME or /usr/local/cuda
#
# cuda.h maps many names to versioned symbols (#define cuMemAlloc cuMemAlloc_v2), so the bindings
# carry the real symbols (cuMemAlloc_v2, cuMemcpyHtoDAsync_v2, ...). Each function's handle is
# created on first use, so a symbol missing from an older driver fails only where it is called.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JEXTRACT="${JEXTRACT:-jextract}"
INCLUDE="${CUDA_HOME:-/usr/local/cuda}/include"
OUT="$HERE/src/main/java"
PKG=dev.switchyard.kernels.cuda.driver

command -v "$JEXTRACT" >/dev/null 2>&1 || { echo "jextract.sh: no jextract (set JEXTRACT or put it on the PATH)" >&2; exit 1; }
[[ -f "$INCLUDE/cuda.h" ]] || { echo "jextract.sh: no cuda.h in $INCLUDE (set CUDA_HOME)" >&2; exit 1; }

rm -rf "$OUT/${PKG//.//}"
"$JEXTRACT" --output "$OUT" --target-package "$PKG" --header-class-name cuda_h \
  --library :libcuda.so.1 -I "$INCLUDE" @"$HERE/jextract-includes.txt" "$INCLUDE/cuda.h"
echo "jextract.sh: regenerated $PKG from $INCLUDE/cuda.h"
