#!/usr/bin/env bash
# Builds .venv-hf (torch, transformers, tokenizers, safetensors) offline from local wheelhouses.
# The model cross-check tests use it as the numerical reference; they skip when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-hf
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import torch, transformers, safetensors' 2>/dev/null; then
  exit 0
fi
links=()
for d in $(find / -xdev \( -name 'transformers-*.whl' -o -name 'torch-*.whl' \) -printf '%h\n' 2>/dev/null | sort -u); do
  links+=(--find-links "$d")
done
[ ${#links[@]} -gt 0 ] || { echo "no local wheelhouse found"; exit 1; }
PY=$(command -v python3)
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q --no-index "${links[@]}" torch transformers tokenizers safetensors
"$VENV/bin/python" -c 'import torch, transformers; print("hf venv:", torch.__version__, transformers.__version__)'
