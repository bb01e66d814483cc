#!/usr/bin/env bash
# Recipe of the bundled default model, resources/models/fashion_glow.safetensors:
# Glow (L=2, K=8, hidden 96, affine coupling, 8 bits) on Fashion-MNIST's 60,000 training images,
# 8,000 steps of 64 images (about 8.5 epochs), Adam 1e-3 with warm-up and cosine decay.
# About 45-60 minutes on a 2-core CPU; needs the Debian package dataset-fashion-mnist.
# The run folder runs/fashion-glow keeps progress events, sample grids and a resumable checkpoint
# (continue an interrupted run with: python -m flowstudio train --resume runs/fashion-glow).
set -euo pipefail
cd "$(dirname "$0")/../.."
python -m flowstudio train --data fashion-mnist --family glow \
  --arch levels=2 --arch steps=8 --arch hidden=96 --arch coupling=affine --n-bits 8 \
  --steps 8000 --batch-size 64 --lr 1e-3 --warmup 200 --lr-decay cosine --seed 0 \
  --eval-every 1000 --sample-every 1000 --checkpoint-every 250 \
  --name fashion-glow --run-dir runs/fashion-glow "$@"
