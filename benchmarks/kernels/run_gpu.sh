#!/usr/bin/env bash
# Take the kernel evaluator's GPU figures on a machine with a CUDA GPU and nvcc.
#
#   bash benchmarks/kernels/run_gpu.sh            # from the repository root
#   PYTHON=.venv/bin/python REPEATS=10 TRIALS=100 bash benchmarks/kernels/run_gpu.sh
#   KERNELBENCH_DIR=/path/to/KernelBench-checkout bash benchmarks/kernels/run_gpu.sh
#
# 1. every GPU test (pytest -m gpu) of kernels_bench, the kernel domain, Triton and the CLI:
#    honest CUDA, CuPy and Triton kernels, CUDA timing and correctness;
# 2. the GPU half of the hack suite (runtime reward hacks, the larger-batch one included,
#    against the CUDA correctness path);
# 3. the benchmark on polca's own problems with the hand-written kernels in solutions/, under
#    both rule sets: evaluation seconds per candidate (cold compile, cached), timing
#    repeatability (the same kernel timed REPEATS times), fast_p of the hand-written set;
# 4. KernelBench level 1 with the hand-written kernels in solutions_level1/ (ReLU, Sigmoid,
#    Tanh), under both rule sets, when KERNELBENCH_DIR names a KernelBench checkout (the GPU
#    machine may have no network: bring the checkout along). Its inputs hold 1.6 G values, so
#    L1_TRIALS (default 20) timed trials keep the step within minutes.
# Logs and the raw JSON go to benchmarks/kernels/results/; copy the summary into RESULTS.md
# and BENCHMARKS.md, with the rule set of every number.
set -euo pipefail

cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-.venv/bin/python}"
REPEATS="${REPEATS:-10}"
TRIALS="${TRIALS:-100}"
L1_TRIALS="${L1_TRIALS:-20}"
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
echo "== GPU tests (pytest -m gpu) =="
"$PYTHON" -m pytest -m gpu -q -p no:cacheprovider tests/test_kernels_*.py tests/test_kernel_domain.py \
    tests/test_cli_kernelbench.py 2>&1 | tee "$OUT/gpu-tests-$STAMP.log" || status=1

echo "== GPU half of the hack suite =="
"$PYTHON" -m pytest -m gpu -q -p no:cacheprovider tests/test_kernels_hacks.py 2>&1 \
    | tee "$OUT/gpu-hacks-$STAMP.log" || status=1

for rules in strict kernelbench; do
    echo "== benchmark: hand-written kernels on polca's own problems, rules $rules =="
    "$PYTHON" benchmarks/kernels/bench_kernels.py --device cuda --repeats "$REPEATS" --trials "$TRIALS" \
        --rules "$rules" --out "$OUT/cuda-$rules-$STAMP.json" 2>&1 | tee "$OUT/bench-$rules-$STAMP.log" || status=1
done

if [ -n "${KERNELBENCH_DIR:-}" ] && [ -d "$KERNELBENCH_DIR/KernelBench/level1" ]; then
    for rules in strict kernelbench; do
        echo "== KernelBench level 1, hand-written kernels, rules $rules =="
        "$PYTHON" -m polca kernelbench eval benchmarks/kernels/solutions_level1 --kernelbench-dir "$KERNELBENCH_DIR" \
            --level 1 --problems 19,21,22 --device cuda --trials "$L1_TRIALS" --rules "$rules" --json \
            > "$OUT/level1-$rules-$STAMP.json" 2> "$OUT/level1-$rules-$STAMP.log" || status=1
        "$PYTHON" -c "import json, sys; s = json.load(open(sys.argv[1]))['summary']; print(s['rules'], s['correct'], '/', s['tasks'], 'correct', s['fast_p'])" \
            "$OUT/level1-$rules-$STAMP.json" || status=1
    done
else
    echo "== KernelBench level 1: skipped (set KERNELBENCH_DIR to a KernelBench checkout) =="
fi

exit "$status"
