#!/usr/bin/env bash
# GPU check, in under 5 minutes on one GPU: the cuda-marked tests and the device
# tests, then the speed suite of benchmarks/run.py on the device; one summary at
# the end. Without CUDA it runs what the CPU allows and reports the skips with
# their reasons. The speed suite's files go to a temporary folder, not to
# benchmarks/results.
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

echo "== benchmarks/run.py speed --device $device =="
if [ "$device" = cuda ]; then
    timeout 170 python benchmarks/run.py speed --device cuda --repeats 3 --results "$log/speed" \
        --only hydasklearn "hydasklearn +2 aux" skorch equal hydalearn hydalearn-paper gcs pcgrad \
        2>&1 | tee "$log/bench.txt"
else  # the CPU alone: a small run, so that the suite's device plumbing is exercised
    timeout 120 python benchmarks/run.py speed --device cpu --threads 1 --repeats 1 --rows 4096 \
        --only hydasklearn skorch --results "$log/speed" 2>&1 | tee "$log/bench.txt"
fi
bench_rc=${PIPESTATUS[0]}

echo
echo "== summary =="
echo "GPU: $gpu"
echo "tests: $(tail -n 1 "$log/tests.txt") (exit $tests_rc)"
grep -h "^SKIPPED" "$log/tests.txt" | sed 's/^/  /'
echo "speed suite on $device (exit $bench_rc; $log/speed):"
grep -E "^ *(name|hydasklearn|skorch|equal|hydalearn)" "$log/bench.txt" | sed 's/^/  /'
[ "$tests_rc" -eq 0 ] && [ "$bench_rc" -eq 0 ]
