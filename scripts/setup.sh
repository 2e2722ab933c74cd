#!/usr/bin/env bash
# Create (or reuse) .venv at the project root and install the project into it, editable.
# torch==2.13.0 is installed first so that the unpinned torch requirement is already met
# by the CPU wheel and pip never pulls the multi-GB CUDA build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
py="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$py" -m venv .venv
stamp=".venv/.pyterrier-hybrid-installed"
want="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet "torch==${TORCH_VERSION:-2.13.0}"
    .venv/bin/python -m pip install --quiet -e ".[test,fast]"
    echo "$want" > "$stamp"
fi
