"""Semi-conditional flow on Fashion-MNIST: the obfuscation check (sec. 5.2) and the relabel grid (Fig. 4).

    python benchmarks/scnf_obfuscation.py [--steps 300] [--train-images 10000] [--labelled 1000] [--labelled-share 0.1]
                                          [--model /tmp/scnf_obf.safetensors] [--picture docs/images/scnf-relabel.png]

Atanov et al. (arXiv:1905.00505, sec. 5.2 and Fig. 4) argue that the conditional part ``h_phi`` takes the label
out of ``z_f``: ``z_h = (h_phi(z_f; y) - mu_y) / sigma_y`` given the true label is ~ N(0, I) for every class, so a
classifier on ``z_h`` should be near chance (10%), while one on ``z_f`` (the deepest components of ``f_w``) is
near perfect; and encoding an image with its label and decoding its ``z_h`` under another keeps the style and
changes the class (Fig. 4).  This trains the ``small`` SCNF through :func:`scnf_fashion.train` (``--labelled``
labels kept of ``--train-images``, the rest unlabelled), saves it to ``--model`` (outside the repository),
fits a multinomial logistic regression (scikit-learn, benchmarks only) on ``z_h`` and on ``z_f`` of the
training images (true labels) and prints the accuracy of each on test images, then draws rows of test images
(first column the original) decoded under every label.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from scnf_fashion import error, train
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from flowstudio.checkpoint import save_checkpoint
from flowstudio.data import load_fashion_mnist
from flowstudio.imaging import make_grid
from flowstudio.models import build_model
from flowstudio.registry import get_family
from flowstudio.training.datasets import TrainData

PAPER = "z_h near chance, z_f near perfect (sec. 5.2, no numbers given)"


@torch.no_grad()
def codes(model, images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(z_f, z_h)`` of data-form images given their true labels, ``[N, d]`` each."""
    zf, zh = [], []
    for i in range(0, len(images), 256):
        x = model.preprocess(images[i:i + 256])
        _, z_f, _ = model.trunk(x)
        zf.append(z_f)
        zh.append(model.conditional(z_f, labels[i:i + 256])[0])
    return torch.cat(zf), torch.cat(zh)


def linear_accuracy(train_z: torch.Tensor, train_y: torch.Tensor, test_z: torch.Tensor, test_y: torch.Tensor) -> float:
    scaler = StandardScaler().fit(train_z.numpy())
    clf = LogisticRegression(max_iter=2000).fit(scaler.transform(train_z.numpy()), train_y.numpy())
    return float(clf.score(scaler.transform(test_z.numpy()), test_y.numpy()))


@torch.no_grad()
def relabel_grid(model, images: torch.Tensor, labels: torch.Tensor, path: Path) -> None:
    """Rows: ``images``; columns: the original, then ``decode(encode(x, y_true), y')`` for ``y' = 0..K-1``."""
    k = model.config.classes
    eps, _ = model.encode(model.preprocess(images), labels)
    tiles = []
    for image, e in zip(images, eps):
        decoded = model.postprocess(model.decode(e.expand(k, -1), torch.arange(k)).float())
        tiles += [image[None], decoded]
    path.parent.mkdir(parents=True, exist_ok=True)
    make_grid(torch.cat(tiles), nrow=k + 1, scale=2).save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--train-images", type=int, default=10_000)
    parser.add_argument("--test-images", type=int, default=2_000)
    parser.add_argument("--labelled", type=int, default=1000)
    parser.add_argument("--labelled-share", type=float, default=0.1, help="share of each batch that is labelled")
    parser.add_argument("--rows", type=int, default=6)
    parser.add_argument("--model", type=Path, default=Path("/tmp/scnf_obf.safetensors"))
    parser.add_argument("--picture", type=Path, default=Path("docs/images/scnf-relabel.png"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    x, y = (torch.from_numpy(a) for a in load_fashion_mnist("train", limit=args.train_images))
    tx, ty = (torch.from_numpy(a) for a in load_fashion_mnist("test", limit=args.test_images))
    preset = get_family("scnf").preset("small")
    names = tuple(map(str, range(10)))
    data = TrainData(x, tx, "fashion-mnist", "MIT", train_labels=y, test_labels=ty,
                     class_names=names).keep_labels(args.labelled, 0)
    start = time.perf_counter()
    model = train(build_model({"family": "scnf", "image_shape": [1, 28, 28], "classes": 10, **preset.arch,
                               "seed": 0}), x, data.train_labels, args.steps, preset.lr, 0, "cpu", args.labelled_share)
    save_checkpoint(model, args.model)
    err = error(model, tx, ty, "cpu")
    train_zf, train_zh = codes(model, x, y)
    test_zf, test_zh = codes(model, tx, ty)
    acc_h = linear_accuracy(train_zh, y, test_zh, ty)
    acc_f = linear_accuracy(train_zf, y, test_zf, ty)
    relabel_grid(model, tx[:args.rows], ty[:args.rows], args.picture)
    print(f"SCNF small, Fashion-MNIST, {args.labelled} labels of {args.train_images:,}, {args.steps} steps "
          f"({time.perf_counter() - start:.0f} s), model {args.model}; test error of argmax p(y | x) {100 * err:.1f}%")
    print(f"logistic regression trained on {args.train_images:,} codes (true labels), accuracy on "
          f"{args.test_images:,} test codes; chance 10%   paper: {PAPER}")
    print(f"  on z_h (d = {train_zh.shape[1]}): {100 * acc_h:5.1f}%")
    print(f"  on z_f (d = {train_zf.shape[1]}): {100 * acc_f:5.1f}%")
    print(f"picture: {args.picture}")
    print(f"repeat: python benchmarks/scnf_obfuscation.py --steps {args.steps} --train-images {args.train_images} "
          f"--test-images {args.test_images} --labelled {args.labelled} --labelled-share {args.labelled_share}")


if __name__ == "__main__":
    main()
