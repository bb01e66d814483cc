"""Write the bundled example evidence sets from the Fashion-MNIST *test* split.

    python packaging/recipes/make_fashion_evidence.py [--out resources/evidence/fashion]

Eight images per set, taken in file order from the test split (never seen in
training): sneakers, ankle boots, bags, trousers; plus ``sneakers-occluded``,
the same sneakers with a band of uniform noise over the middle, after the
paper's noisy-occlusion evidence. Under the bundled Fashion Glow they score
about 1-1.5 bits/dim above the clean sneakers: less likely, but inside the
model's wide range over Fashion-MNIST's classes (the portraits model, whose
range is narrow, flags its noisy-eyes set as very unlikely).
Fashion-MNIST is (c) Zalando SE, MIT licence; see resources/evidence/LICENSE.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from flowstudio.data import load_fashion_mnist
from flowstudio.imaging import save_png, to_pil

SETS = {"sneakers": 7, "ankle-boots": 9, "bags": 8, "trousers": 1}
PER_SET = 8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("resources/evidence/fashion"))
    args = parser.parse_args()
    images, labels = load_fashion_mnist("test")
    rng = np.random.default_rng(0)
    for name, label in SETS.items():
        folder = args.out / name
        folder.mkdir(parents=True, exist_ok=True)
        index = np.flatnonzero(labels == label)[:PER_SET]
        for i in index:
            save_png(to_pil(images[i]), folder / f"test-{i:05d}.png")
        if name == "sneakers":
            occluded = args.out / "sneakers-occluded"
            occluded.mkdir(parents=True, exist_ok=True)
            for i in index:
                img = images[i].copy()
                img[:, 10:18, :] = rng.integers(0, 256, size=(1, 8, 28), dtype=np.uint8)
                save_png(to_pil(img), occluded / f"test-{i:05d}-noise.png")
    print(f"wrote {len(SETS) + 1} sets of {PER_SET} images under {args.out}")


if __name__ == "__main__":
    main()
