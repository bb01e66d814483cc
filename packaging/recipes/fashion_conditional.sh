#!/usr/bin/env bash
# Recipe of the bundled conditional flow, resources/models/fashion_conditional.safetensors: the conditional
# flow [u, 0] (20 + 10) <-> [z, c] (20 + 10) ("A method to model conditional distributions with normalizing
# flows", issue 10, sec. 5.2) on the 20-d code of the bundled GLF (resources/models/fashion_glf.safetensors,
# see fashion_glf.sh), whose encoder and decoder are copied unchanged; only the flow (8 blocks of permutation
# + affine coupling, 2 x 256 hidden) is trained, on the cached codes of Fashion-MNIST's 60,000 training
# images: eq. 6, 4,000 steps of batch 256, Adam 1e-3 halved after 2,000, seed 0.  Its card has the class
# names and the test error of argmax p(y | x) on the 10,000 test images.  The same run writes the grids
# docs/images/conditional-by-label.png and docs/images/conditional-same-style.png.
# Needs the Debian package dataset-fashion-mnist.
set -euo pipefail
cd "$(dirname "$0")/../.."
STEPS="${STEPS:-4000}"
python benchmarks/conditional_fashion.py --steps "$STEPS" --blocks 8 --hidden 256 --depth 2 --seed 0 \
  --digits-steps 0 --save resources/models/fashion_conditional.safetensors "$@"
