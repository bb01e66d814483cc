"""Write the bundled example evidence sets for the portraits model.

    python packaging/recipes/make_portrait_evidence.py [--out resources/evidence/portraits]

Eight portraits per set from the procedural generator with seed 1 (the
bundled model trained on seed 0, so none of these were seen in training):
red hair and glasses (in-distribution subsets), and greyscale, solid-occluded
eyes and noise-occluded eyes (out-of-distribution evidence; the noisy
occlusion is the paper's case that the model finds very unlikely). Each set
shows the same eight people with that one attribute fixed. Synthetic images
made by Flow Studio: no licence restrictions.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from flowstudio.data import generate_portraits
from flowstudio.imaging import save_png, to_pil

SETS = {
    "red-hair": {"hair_colour": "red"},
    "glasses": {"glasses": True},
    "greyscale": {"greyscale": True},
    "occluded-eyes": {"occlusion": "solid"},
    "noisy-eyes": {"occlusion": "noise"},
}
PER_SET = 8
SEED = 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("resources/evidence/portraits"))
    args = parser.parse_args()
    for name, fixed in SETS.items():
        folder = args.out / name
        folder.mkdir(parents=True, exist_ok=True)
        images, _ = generate_portraits(PER_SET, seed=SEED, **fixed)
        for i, image in enumerate(images):
            save_png(to_pil(image), folder / f"portrait-{SEED}-{i:02d}.png")
    print(f"wrote {len(SETS)} sets of {PER_SET} portraits under {args.out}")


if __name__ == "__main__":
    main()
