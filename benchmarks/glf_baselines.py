"""GLF against its baselines on FD-FashionCNN after the same epochs, and training time per epoch.

    python benchmarks/glf_baselines.py [--epochs 4] [--train-images 10240] [--n 10000] [--eval-n 2000]
                                       [--arch conv2=64 --arch fc=512] [--save-glf PATH]

Xiao, Yan & Amit, "Generative Latent Flow", arXiv:1905.10485, compare on
Fashion-MNIST (Inception FID, 100 epochs): GLF 21.3, VAE + flow prior 51.8,
VAE 57.5, and report regularized GLF (the NLL's gradient reaching the encoder)
as unstable at low beta.  This trains the four with the *same* autoencoder
(``--arch``; by default the paper's first convolution, half its second one
and half its fully connected layer, as the bundled ``fashion_glf`` model has,
so that the run fits two shared CPU cores) for the same epochs on the first ``--train-images`` training images,
each with Adam (lr 1e-3, batch 256) through the models' own training loss
``forward(batch, noise)`` (the engine's contract), then prints:

* per epoch: FD-FashionCNN of ``--eval-n`` samples against as many test images
  (is GLF ahead after fewer epochs?), and the two held-out loss terms
  (MSE, and the latent NLL or KL) on 1,000 test images;
* the table: FD-FashionCNN, precision and recall (k = 3) of ``--n`` samples
  against ``--n`` test images; training seconds per epoch of this run, and
  the median seconds of a training step with the four models taking turns
  step by step (the shared machine's load changes during a run, so only the
  interleaved times compare the models), scaled to the 60,000-image split;
  the paper's Inception FID beside; and, as the floor, FD-FashionCNN between
  ``--n`` training images and the test images.

FD-FashionCNN is the Fréchet distance on our bundled classifier's features
(:mod:`flowstudio.metrics.frechet`): its scale is not Inception FID's, only the
order of the models can be compared with the paper.  Samples at temperature 1.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import torch

from flowstudio.checkpoint import default_card, save_checkpoint
from flowstudio.data import load_fashion_mnist
from flowstudio.metrics.evaluate import generated_images
from flowstudio.metrics.fashion_classifier import load_classifier
from flowstudio.metrics.frechet import METRIC_NAME, classifier_features, frechet_distance, precision_recall
from flowstudio.models import build_model

VARIANTS = {
    "GLF": ({"family": "glf"}, "21.3"),
    "regularized GLF": ({"family": "glf", "stop_gradient": False}, "not quoted; the paper: unstable at low beta"),
    "VAE + flow prior": ({"family": "vae", "flow_prior": True}, "51.8"),
    "VAE": ({"family": "vae"}, "57.5"),
}
"""Name -> (config, the paper's Fashion-MNIST Inception FID or what it says)."""
BATCH, LEARNING_RATE = 256, 1e-3
HELDOUT = 1000
FULL_SPLIT = 60_000


def parse_arch(items: list[str]) -> dict[str, int]:
    return {key: int(value) for key, value in (item.split("=", 1) for item in items)}


@torch.no_grad()
def heldout_terms(model, images: torch.Tensor) -> tuple[float, float]:
    """Mean held-out ``(MSE, NLL or KL)``: the two terms of the family's loss, in eval mode."""
    model.eval()
    first, second = model.loss_terms(images)
    return first.mean().item(), second.mean().item()


def train_step(model, opt, batch: torch.Tensor, gen: torch.Generator) -> float:
    """One Adam step on ``model(batch, noise).mean()``; the loss (not applied when it is not finite)."""
    loss = model(batch, torch.rand(batch.shape, generator=gen)).mean()
    if torch.isfinite(loss):
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return loss.item()


def train_epoch(model, opt, images: torch.Tensor, gen: torch.Generator) -> tuple[float, float]:
    """One epoch of :func:`train_step`; ``(seconds, mean loss)`` (NaN once it diverged)."""
    model.train()
    order = torch.randperm(len(images), generator=gen)
    start, total = time.perf_counter(), 0.0
    for idx in order.split(BATCH):
        loss = train_step(model, opt, images[idx], gen)
        if not math.isfinite(loss):
            return time.perf_counter() - start, math.nan
        total += loss * len(idx)
    return time.perf_counter() - start, total / len(images)


def interleaved_step_seconds(configs: dict[str, dict], images: torch.Tensor, rounds: int) -> dict[str, float]:
    """Median seconds of one training step of each model, the models taking turns step by step (after one
    warm-up round) on fresh copies, so that a change in the shared machine's load falls on all of them alike."""
    models = {name: build_model(config).train() for name, config in configs.items()}
    opts = {name: torch.optim.Adam(model.parameters(), lr=LEARNING_RATE) for name, model in models.items()}
    gen, batch = torch.Generator().manual_seed(0), images[:BATCH]
    times: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(rounds + 1):
        for name, model in models.items():
            start = time.perf_counter()
            train_step(model, opts[name], batch, gen)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t[1:]) for name, t in times.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--train-images", type=int, default=10_240)
    p.add_argument("--n", type=int, default=10_000, help="samples and test images of the final table")
    p.add_argument("--eval-n", type=int, default=2000, help="samples and test images of the per-epoch FD")
    p.add_argument("--arch", action="append", default=None, metavar="KEY=VALUE",
                   help="autoencoder settings shared by all four (default conv2=64 fc=512)")
    p.add_argument("--beta", type=float, default=400.0, help="beta of GLF and the VAEs")
    p.add_argument("--regularized-beta", type=float, default=1.0, help="beta of regularized GLF")
    p.add_argument("--only", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    p.add_argument("--timing-rounds", type=int, default=5, help="interleaved steps timed per model")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save-glf", default=None, metavar="PATH", help="also save the trained GLF there")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    arch = parse_arch(args.arch or ["conv2=64", "fc=512"])

    train = torch.from_numpy(load_fashion_mnist("train", limit=args.train_images)[0])
    test = torch.from_numpy(load_fashion_mnist("test")[0])
    cnn, facts = load_classifier()
    real_final = classifier_features(cnn, test[:args.n])
    real_epoch = real_final[:args.eval_n]
    floor = frechet_distance(real_final, classifier_features(cnn, torch.from_numpy(
        load_fashion_mnist("train")[0][-args.n:])))
    print(f"{len(train)} training images, {args.epochs} epochs, batch {BATCH}, Adam {LEARNING_RATE}; "
          f"autoencoder {arch}, latent 20; beta {args.beta:g} (regularized GLF: {args.regularized_beta:g}); "
          f"{METRIC_NAME} (classifier test accuracy {facts['test_accuracy']}), {args.threads} thread(s)")

    configs = {name: {**VARIANTS[name][0], "image_shape": [1, 28, 28], "seed": args.seed, **arch,
                      "beta": args.regularized_beta if name == "regularized GLF" else args.beta}
               for name in args.only}
    step_seconds = interleaved_step_seconds(configs, train, args.timing_rounds)
    rows = []
    for name, config in configs.items():
        torch.manual_seed(args.seed)
        model = build_model(config)
        opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
        gen = torch.Generator().manual_seed(args.seed)
        seconds = []
        print(f"\n{name}: epoch  train loss  held-out MSE  held-out {'KL' if config['family'] == 'vae' else 'NLL'}"
              f"  {METRIC_NAME}@{args.eval_n}  seconds")
        for epoch in range(1, args.epochs + 1):
            secs, loss = train_epoch(model, opt, train, gen)
            seconds.append(secs)
            if math.isnan(loss):
                print(f"  {epoch:5d}  diverged (non-finite loss); training stopped")
                break
            mse, second = heldout_terms(model, test[-HELDOUT:])
            fd = frechet_distance(real_epoch, classifier_features(cnn, generated_images(model, args.eval_n, 1)))
            print(f"  {epoch:5d}  {loss:10.3f}  {mse:12.5f}  {second:11.3f}  {fd:16.3f}  {secs:7.1f}", flush=True)
        fake = classifier_features(cnn, generated_images(model, args.n, 2))
        precision, recall = precision_recall(real_final, fake)
        rows.append((name, config["beta"], frechet_distance(real_final, fake), precision, recall,
                     sum(seconds) / len(seconds), step_seconds[name], VARIANTS[name][1]))
        if name == "GLF" and args.save_glf:
            save_checkpoint(model, args.save_glf, default_card(
                model, name="GLF (glf_baselines.py)", training_data=f"Fashion-MNIST train, first {len(train)}",
                steps=len(seconds) * math.ceil(len(train) / BATCH), licence="MIT",
                recipe="python benchmarks/glf_baselines.py --save-glf " + args.save_glf))
            print(f"  saved {args.save_glf}")

    print(f"\n{args.epochs} epochs on {len(train)} images; {METRIC_NAME} / precision / recall of {args.n} samples "
          f"against {args.n} test images (T = 1); paper: Inception FID after 100 epochs on 60,000")
    print(f"s/epoch: this run's epochs of {len(train)} images; s/step: median of {args.timing_rounds} interleaved "
          f"steps of batch {BATCH}; s/epoch@60k: s/step x {math.ceil(FULL_SPLIT / BATCH)} steps")
    print(f"{'model':18s} {'beta':>6s} {METRIC_NAME:>14s} {'precision':>9s} {'recall':>7s} {'s/epoch':>8s} "
          f"{'s/step':>7s} {'s/epoch@60k':>11s}  paper FID")
    for name, beta, fd, precision, recall, secs, step, paper in rows:
        print(f"{name:18s} {beta:6g} {fd:14.3f} {precision:9.3f} {recall:7.3f} {secs:8.1f} {step:7.2f} "
              f"{step * math.ceil(FULL_SPLIT / BATCH):11.0f}  {paper}")
    print(f"{'(real train images)':18s} {'':6s} {floor:14.3f}  <- {METRIC_NAME} of the last {args.n} training "
          "images: the floor at this N")


if __name__ == "__main__":
    main()
