#!/usr/bin/env bash
# Recipe of the bundled default model, resources/models/fashion_glow.safetensors:
# Glow (L=2, K=16, hidden 96, affine coupling, 8 bits, 2.3 MB) on Fashion-MNIST's 60,000 training images,
# 14,000 steps of 64 images (about 15 epochs), Adam 1e-3 with 200 warm-up steps and cosine decay to 0.
#   CPU (the bundled model): 1 h 44 min on 2 CPU cores (2.96 test bits/dim); needs the Debian package
#     dataset-fashion-mnist.
#   GPU (`GPU=1 packaging/recipes/fashion_glow.sh`, for a lent CUDA GPU): a larger Glow of the same family
#     (K=24, hidden 256, 16.7 MB, under the 25 MB a bundled model may have), 20,000 steps of 256 images (about
#     85 epochs) on --device cuda.  Not run yet: no GPU was lent to the sessions that wrote it, so neither its
#     time nor its bits/dim is known.
# The run folder keeps progress events, sample grids and a resumable checkpoint (continue an interrupted
# run with: python -m flowstudio train --resume RUN_DIR).  Copy RUN_DIR/model.safetensors over
# resources/models/fashion_glow.safetensors to make it the default, then check it with
# python benchmarks/bundled_bits_per_dim.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
COMMON=(--data fashion-mnist --family glow --arch levels=2 --arch coupling=affine --n-bits 8
        --lr 1e-3 --lr-decay cosine --seed 0 --eval-every 2000 --sample-every 2000 --name fashion-glow)
if [[ "${GPU:-0}" == "1" ]]; then
  python -m flowstudio train "${COMMON[@]}" --device cuda --arch steps=24 --arch hidden=256 \
    --steps 20000 --batch-size 256 --warmup 500 --checkpoint-every 1000 --run-dir runs/fashion-glow-cuda "$@"
else
  python -m flowstudio train "${COMMON[@]}" --arch steps=16 --arch hidden=96 \
    --steps 14000 --batch-size 64 --warmup 200 --checkpoint-every 250 --run-dir runs/fashion-glow "$@"
fi
