#!/usr/bin/env bash
# Recipe of the bundled colour model, resources/models/portraits_glow.safetensors:
# Glow (L=3, K=8, hidden 96, affine coupling, 5 bits) on 30,000 procedural portraits
# (flowstudio.data.portraits, seed 0; 10% held out), 6,000 steps of 32 images, Adam 1e-3 with
# warm-up and cosine decay. About 45-60 minutes on a 2-core CPU. Synthetic data: no data licence.
set -euo pipefail
cd "$(dirname "$0")/../.."
python -m flowstudio train --data portraits --max-images 30000 --family glow \
  --arch levels=3 --arch steps=8 --arch hidden=96 --arch coupling=affine --n-bits 5 \
  --steps 6000 --batch-size 32 --lr 1e-3 --warmup 200 --lr-decay cosine --seed 0 \
  --eval-every 1000 --sample-every 1000 --checkpoint-every 250 \
  --name portraits-glow --run-dir runs/portraits-glow "$@"
