#!/usr/bin/env bash
# Throughput and peak memory of the checkpoint tool on a generated checkpoint
# (docs/performance.md, "Checkpoint tool"). Not a test: it prints numbers.
#
#   bench/checkpoint_bench.sh [HIFLOAT_CLI] [SIZE_GIB] [FORMATS] [QUANT_FORMAT]
#
# Generates SIZE_GIB (default 2) of F32 tensors of 64 MiB each in $BENCH_DIR
# (default: a fresh directory under ${TMPDIR:-/tmp}), runs `hifloat compare`
# and `hifloat quantize` under /usr/bin/time -v, checks peak RSS against
# 2 x largest tensor + 64 MiB, and deletes everything it generated.
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=${1:-build/release/hifloat}
SIZE_GIB=${2:-2}
FORMATS=${3:-hif8}
QFORMAT=${4:-hif8}
[ -x "$CLI" ] || { echo "no CLI at $CLI (build it first)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package 'time')" >&2; exit 1; }
DIR=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/hifloat_ckpt_bench.XXXXXX")
trap 'rm -rf "$DIR"' EXIT

python3 - "$DIR/model.safetensors" "$SIZE_GIB" <<'PY'
import json, struct, sys
import numpy as np
path, gib = sys.argv[1], float(sys.argv[2])
rows, cols = 4096, 4096                       # 64 MiB of F32 per tensor
n = max(1, int(gib * 1024**3 // (rows * cols * 4)))
header, off = {}, 0
for i in range(n):
    header[f"layers.{i}.weight"] = {"dtype": "F32", "shape": [rows, cols], "data_offsets": [off, off + rows * cols * 4]}
    off += rows * cols * 4
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
rng = np.random.default_rng(0)
with open(path, "wb") as f:                   # streamed: one tensor in memory at a time
    f.write(struct.pack("<Q", len(text)) + text)
    for i in range(n):
        f.write((rng.standard_normal((rows, cols), dtype=np.float32) * 0.02).tobytes())
print(f"generated {n} tensors of 64 MiB: {off / 1024**3:.2f} GiB")
PY
BYTES=$(stat -c %s "$DIR/model.safetensors")
LARGEST=$((4096 * 4096 * 4))
LIMIT_KB=$(((2 * LARGEST + 64 * 1024 * 1024) / 1024))

measure() {  # label, command...
  local label=$1
  shift
  sync
  /usr/bin/time -v "$@" >"$DIR/out.txt" 2>"$DIR/time.txt"
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$DIR/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$DIR/time.txt")
  awk -v l="$label" -v b="$BYTES" -v w="$wall" -v r="$rss" -v lim="$LIMIT_KB" 'BEGIN {
    printf "%-40s %6.2f s  %6.3f GB/s  peak RSS %7.1f MiB (limit %.0f MiB) %s\n",
           l, w, b / 1e9 / w, r / 1024, lim / 1024, (r <= lim ? "ok" : "OVER")
  }'
  [ "$rss" -le "$LIMIT_KB" ]
}

echo "checkpoint: $(awk -v b="$BYTES" 'BEGIN {printf "%.2f GB", b / 1e9}'), largest tensor 64 MiB, $(nproc) cores"
status=0
measure "compare --formats $FORMATS" "$CLI" compare "$DIR/model.safetensors" --formats "$FORMATS" || status=1
measure "quantize --format $QFORMAT" "$CLI" quantize "$DIR/model.safetensors" "$DIR/q.safetensors" --format "$QFORMAT" || status=1
rm -f "$DIR/q.safetensors"
exit $status
