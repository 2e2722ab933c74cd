#!/usr/bin/env bash
# A separate environment for benchmarks/bench_st_backends.py: sentence-transformers' ONNX backend needs
# optimum-onnx, which requires transformers < 4.58, and its OpenVINO backend optimum-intel 2.x, which does not
# install beside transformers 5; the project itself runs on transformers 5. pip reports that optimum-intel's
# optimum 2.3 is newer than optimum-onnx asks for (~=2.1); the ONNX exports work with it (measured 2026-12-07).
# Usage: bash benchmarks/st_backends_env.sh [ENV_DIR]   (default .venv-st-backends; torch pinned to the CPU wheel)
set -euo pipefail
env_dir="${1:-.venv-st-backends}"
python3 -m venv "$env_dir"
"$env_dir/bin/pip" install -q torch==2.13.0
"$env_dir/bin/pip" install -q "torch==2.13.0" "optimum-onnx[onnxruntime]" "sentence-transformers[onnx]"
"$env_dir/bin/pip" install -q "torch==2.13.0" "transformers==4.57.6" "optimum-intel[openvino,nncf]" datasets "huggingface-hub<1.0"
"$env_dir/bin/pip" uninstall -q -y torchvision  # pulled in by nncf, built for another torch: breaks imports
"$env_dir/bin/pip" list 2>/dev/null | grep -Ei "^(torch|transformers|sentence-transformers|optimum|optimum-onnx|optimum-intel|onnxruntime|openvino) "
