#!/usr/bin/env bash
# Trains a few hundred iterations on a real dataset with the OpenCL backend at a small size and
# checks that every output of a run exists and that every logged loss is finite.
# Usage: tools/ci_smoke_train.sh DATAROOT [ITERATIONS]
set -euo pipefail
dataroot=${1:?usage: tools/ci_smoke_train.sh DATAROOT [ITERATIONS]}
iterations=${2:-200}
binary=${CYCLEGAN_BINARY:-.build/debug/cyclegan}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$binary" train --dataroot "$dataroot" --backend opencl --name smoke \
    --checkpoints-dir "$work" --crop-size 32 --load-size 36 --ngf 8 --ndf 8 \
    --netG resnet_2blocks --max-iterations "$iterations" --print-freq 20 --display-freq 50 \
    --save-latest-freq 100 --seed 1 </dev/null

run="$work/smoke"
missing=0
for file in options.txt loss_log.txt loss_log.csv web/index.html \
    latest_net_G_A.safetensors latest_net_G_B.safetensors latest_net_D_A.safetensors \
    latest_net_D_B.safetensors latest_training_state.safetensors; do
    if [ ! -s "$run/$file" ]; then
        echo "missing or empty output: $run/$file"
        missing=1
    fi
done
sheets=$(find "$run/web/images" -name '*.png' | wc -l)
if [ "$sheets" -lt 1 ]; then
    echo "no sample sheet PNG under $run/web/images"
    missing=1
fi

# Every numeric field of the CSV after the header must be finite.
if ! python3 - "$run/loss_log.csv" <<'PY'
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
if not rows:
    sys.exit("loss_log.csv has no rows")
for row in rows:
    for key, value in row.items():
        try:
            number = float(value)
        except ValueError:
            continue
        if not math.isfinite(number):
            sys.exit(f"non-finite {key} = {value} in row {row}")
print(f"{len(rows)} loss rows, all finite; last: {rows[-1]}")
PY
then
    missing=1
fi
[ "$missing" -eq 0 ] && echo "smoke training: every output present, $sheets sample sheets"
exit "$missing"
