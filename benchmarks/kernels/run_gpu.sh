#!/usr/bin/env bash
# Take the kernel evaluator's GPU figures on a machine with a CUDA GPU and nvcc.
#
#   bash benchmarks/kernels/run_gpu.sh            # from the repository root
#   PYTHON=.venv/bin/python REPEATS=10 TRIALS=100 bash benchmarks/kernels/run_gpu.sh
#
# 1. the GPU tests of kernels_bench (honest CUDA kernel, CUDA timing and correctness),
# 2. the GPU half of the hack suite (runtime reward hacks against the CUDA correctness path),
# 3. the benchmark on polca's own problems with the hand-written kernels in solutions/:
#    evaluation seconds per candidate (cold compile, cached), timing repeatability
#    (the same kernel timed REPEATS times), fast_p of the hand-written set.
# Logs and the raw JSON go to benchmarks/kernels/results/; copy the summary into RESULTS.md.
set -euo pipefail

cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-.venv/bin/python}"
REPEATS="${REPEATS:-10}"
TRIALS="${TRIALS:-100}"
STAMP="$(date -u +%Y%m%d-%H%M%S)"
OUT="benchmarks/kernels/results"
mkdir -p "$OUT"

if ! "$PYTHON" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "error: no usable CUDA GPU for $PYTHON (torch.cuda.is_available() is False); run this on a GPU machine with a CUDA build of torch." >&2
    exit 1
fi
if ! command -v nvcc >/dev/null 2>&1 && [ ! -x "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc" ]; then
    echo "error: nvcc not found on PATH or under \$CUDA_HOME/bin; install the CUDA toolkit or set CUDA_HOME." >&2
    exit 1
fi
"$PYTHON" -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda, 'GPU', torch.cuda.get_device_name(0))"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true

status=0
echo "== GPU tests of kernels_bench and the kernel domain =="
"$PYTHON" -m pytest -m gpu -q tests/test_kernels_evaluator.py tests/test_kernels_correctness.py \
    tests/test_kernels_timing.py tests/test_kernel_domain.py 2>&1 | tee "$OUT/gpu-tests-$STAMP.log" || status=1

echo "== GPU half of the hack suite =="
"$PYTHON" -m pytest -m gpu -q tests/test_kernels_hacks.py 2>&1 | tee "$OUT/gpu-hacks-$STAMP.log" || status=1

echo "== benchmark: hand-written kernels on polca's own problems =="
"$PYTHON" benchmarks/kernels/bench_kernels.py --device cuda --repeats "$REPEATS" --trials "$TRIALS" \
    --out "$OUT/cuda-$STAMP.json" 2>&1 | tee "$OUT/bench-$STAMP.log" || status=1

exit "$status"
