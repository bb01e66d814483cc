#!/usr/bin/env bash
# Recipe of the bundled GLF model, resources/models/fashion_glf.safetensors: Generative Latent Flow
# (Xiao, Yan & Amit, arXiv:1905.10485) on Fashion-MNIST's 60,000 training images, nz = 20, the latent
# flow of the paper (4 affine couplings of 3 x 64 hidden units), Adam 1e-3, batch 256, no warm-up.
# The paper's encoder/decoder widths (conv 64/128, FC 1024) give 53 MB of weights, over the 25 MB
# a bundled checkpoint may have, so the bundled model uses conv2=64, fc=512 (13.7 MB).
# The paper trains 100 epochs (EPOCHS=100, 23,400 steps, the default here) and halves the learning
# rate after 50; the engine has no step decay yet, so the rate stays constant.  The bundled model was
# trained with EPOCHS=10 in 46.5 minutes on 1 thread of a 2-core CPU shared with 4 other jobs.
# Needs the Debian package dataset-fashion-mnist.  Continue an interrupted run with:
#   python -m flowstudio train --resume runs/fashion-glf
set -euo pipefail
cd "$(dirname "$0")/../.."
EPOCHS="${EPOCHS:-100}"
STEPS_PER_EPOCH=234  # batches of 256 in 60,000 images
python -m flowstudio train --data fashion-mnist --family glf --arch conv2=64 --arch fc=512 \
  --steps "$((EPOCHS * STEPS_PER_EPOCH))" --batch-size 256 --lr 1e-3 --warmup 0 --lr-decay none --seed 0 \
  --eval-every "$STEPS_PER_EPOCH" --sample-every "$STEPS_PER_EPOCH" --checkpoint-every "$STEPS_PER_EPOCH" \
  --name fashion-glf --run-dir runs/fashion-glf "$@"
# The card gains the epochs and FD-FashionCNN / precision / recall of 10,000 samples (needs the bundled
# metric classifier, resources/metrics/fashion_classifier.safetensors).
python packaging/recipes/finish_glf.py runs/fashion-glf/model.safetensors fashion-glf resources/models/fashion_glf.safetensors
