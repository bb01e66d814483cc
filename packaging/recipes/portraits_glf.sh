#!/usr/bin/env bash
# Recipe of the bundled colour GLF, resources/models/portraits_glf.safetensors: Generative Latent Flow
# (Xiao, Yan & Amit, arXiv:1905.10485) on 30,000 procedural 32x32 portraits (10% held out), with the
# paper's colour latent (nz = 64, couplings of 3 x 256 hidden units) and, to stay under the 25 MB a bundled
# checkpoint may have, conv2=64, fc=512 (20.2 MB; the paper's widths would be 70 MB).  Adam 1e-3, batch 256,
# 900 steps (8.5 epochs), on 1 thread of a 2-core CPU shared with other jobs (see the card's wall time).
# No FD-FashionCNN: its classifier knows only Fashion-MNIST.
set -euo pipefail
cd "$(dirname "$0")/../.."
python -m flowstudio train --data portraits --max-images 30000 --family glf --arch conv2=64 --arch fc=512 \
  --steps 900 --batch-size 256 --lr 1e-3 --warmup 0 --seed 0 \
  --eval-every 150 --sample-every 150 --checkpoint-every 150 --name portraits-glf --run-dir runs/portraits-glf "$@"
python packaging/recipes/finish_glf.py runs/portraits-glf/model.safetensors portraits-glf \
  resources/models/portraits_glf.safetensors --no-metric
