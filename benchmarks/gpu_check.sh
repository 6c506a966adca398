#!/usr/bin/env bash
# GPU check, in under 5 minutes on one GPU: the cuda-marked tests and the device
# tests, then bench_backend.py on the device; one summary at the end. Without
# CUDA it runs what the CPU allows and reports the skips with their reasons.
#
#     bash benchmarks/gpu_check.sh            # from the repository root
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp -d)
if python -c "import torch, sys; sys.exit(not torch.cuda.is_available())"; then
    device=cuda
    gpu=$(python -c "import torch; print(torch.cuda.get_device_name(0))")
else
    device=cpu
    gpu="none (torch.cuda.is_available() is False)"
fi

echo "== tests: cuda-marked and device tests (-rs lists the skips) =="
timeout 120 python -m pytest -q -rs tests/_backend/test_device.py tests/_backend/test_batches.py 2>&1 \
    | tee "$log/tests.txt"
tests_rc=${PIPESTATUS[0]}

echo "== bench_backend.py --device $device =="
if [ "$device" = cuda ]; then
    timeout 170 python benchmarks/bench_backend.py --device cuda --repeats 3 \
        2>&1 | tee "$log/bench.txt"
else  # the CPU alone: a small run, so that the script's device plumbing is exercised
    timeout 120 python benchmarks/bench_backend.py --device cpu --threads 1 --repeats 1 --samples 4096 \
        --only hydasklearn skorch 2>&1 | tee "$log/bench.txt"
fi
bench_rc=${PIPESTATUS[0]}

echo
echo "== summary =="
echo "GPU: $gpu"
echo "tests: $(tail -n 1 "$log/tests.txt") (exit $tests_rc)"
grep -h "^SKIPPED" "$log/tests.txt" | sed 's/^/  /'
echo "bench_backend on $device (exit $bench_rc):"
grep -E "^(hydasklearn|skorch)" "$log/bench.txt" | sed 's/^/  /'
[ "$tests_rc" -eq 0 ] && [ "$bench_rc" -eq 0 ]
