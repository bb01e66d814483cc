"""``flowstudio classify``: few-shot classification by posterior-predictive likelihood (``--method``), or, with a
model that classifies itself (``Capabilities.classification``), its exact ``p(y | x)`` in percent."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from flowstudio.checkpoint import LoadedModel
from flowstudio.cli.common import (TRANSFLOW, CliError, add_model_options, add_posterior_options, check_needs,
                                   open_model, report_skipped, spec_from_args)
from flowstudio.data.images import iter_loaded_images
from flowstudio.errors import WriteError
from flowstudio.files import copy_file, make_folder
from flowstudio.labelled import class_percent, label_names
from flowstudio.records import escape_text, escaped_note, write_rows
from flowstudio.models.base import ImageFlow
from flowstudio.registry import get_family, require_data
from flowstudio.transflow import BEYOND_PAPER, METHODS, FewShotClassifier, method_rule
from flowstudio.transflow.classify import Rule
from flowstudio.transflow.pooled import FullCovariance, PooledDiagonal
from flowstudio.transflow.encode import encode_images


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "classify", help="sort images into classes given a few examples of each",
        description="Few-shot classification without training: each class is a set of example images; "
                    "a query image goes to the class whose Transflow posterior predictive gives its latent "
                    "the highest likelihood. Prints or writes one row per query with the predicted class "
                    "and the log-likelihood under every class. With --covariance diagonal, give an absolute "
                    "lambda (e.g. --lam-abs 1): a lambda relative to m scales each class's own spread with "
                    "its number of examples, which favours the tightest class. --method picks the rule: "
                    + "; ".join(f"{name}: {about}" for name, about in METHODS.items()) + ". A model that "
                    "classifies itself (scnf, conditional) needs no classes: each query gets the model's exact "
                    "p(y | x) over the classes it was trained with, in percent.")
    p.add_argument("queries", nargs="+", type=Path, metavar="QUERY", help="images or folders to classify")
    p.add_argument("--class", dest="classes", action="append", default=[], metavar="NAME=PATH[,PATH...]",
                   help="a class and its example images/folders (repeat for each class)")
    p.add_argument("--classes-dir", type=Path, default=None, metavar="DIR",
                   help="a folder whose subfolders are the classes (folder name = class name)")
    p.add_argument("-o", "--out", type=Path, default=None, help="write results as CSV (or JSON if .json)")
    p.add_argument("--copy-to", type=Path, default=None, metavar="DIR",
                   help="copy each query file into DIR/<predicted class>/")
    p.add_argument("--method", choices=list(METHODS), default="isotropic",
                   help="isotropic: the paper's rule with --lam/--lam-abs/--covariance; "
                        f"{', '.join(BEYOND_PAPER)}: beyond the paper, with the settings measured best "
                        "in benchmarks/fewshot_mnist.py (they ignore --lam and --covariance; --lam-abs sets "
                        "the lambda of full-covariance and pooled-diagonal; fusion also compares pixels). "
                        "Default: isotropic")
    add_posterior_options(p)
    add_model_options(p)
    p.set_defaults(run=run)


def parse_classes(args: argparse.Namespace) -> dict[str, list[Path]]:
    classes: dict[str, list[Path]] = {}
    for item in args.classes:
        name, sep, paths = item.partition("=")
        if not sep or not name or not paths:
            raise CliError(f"--class {item!r}: write it as NAME=PATH[,PATH...]")
        classes.setdefault(name, []).extend(Path(p) for p in paths.split(","))
    if args.classes_dir:
        if not args.classes_dir.is_dir():
            raise CliError(f"{args.classes_dir}: --classes-dir is not a folder")
        for sub in sorted(p for p in args.classes_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            classes.setdefault(sub.name, []).append(sub)
    if len(classes) < 2:
        raise CliError("give at least two classes (--class NAME=PATH or --classes-dir DIR)")
    return classes


def run(args: argparse.Namespace) -> int:
    loaded = open_model(args)
    if get_family(loaded.model.family).capabilities.classification:
        return _classify_exact(args, loaded)
    check_needs(loaded, TRANSFLOW)
    model = loaded.model
    clf = FewShotClassifier(_rule(args), model.layout)
    for name, paths in parse_classes(args).items():
        for _, pixels, eps in _encoded(paths, model, args.batch_size):
            clf.add(name, eps, torch.from_numpy(pixels))
        if name not in clf.classes:
            raise CliError(f"no usable examples for class {name!r} in {', '.join(str(p) for p in paths)}")
    rows = []
    for paths, pixels, eps in _encoded(args.queries, model, args.batch_size):
        labels, scores = clf.predict(eps, torch.from_numpy(pixels))
        for path, label, row in zip(paths, labels, scores.tolist()):
            rows.append({"file": str(path), "predicted": label, **dict(zip(clf.classes, row))})
    if not rows:
        raise CliError("no usable query images")
    _report(rows, list(clf.classes), list(clf.classes), args)
    return 0


def _classify_exact(args: argparse.Namespace, loaded: LoadedModel) -> int:
    """Each query's ``100 * p(y | x)`` from the model itself (:func:`flowstudio.labelled.class_percent`)."""
    model = loaded.model
    entry = require_data(model.family, "images", "classifying image files", "classification")
    if args.classes or args.classes_dir:
        raise CliError(f"{entry.label} models classify into the classes they were trained with; leave out --class "
                       "and --classes-dir (they are for few-shot classification with Transflow models)")
    names = label_names(model, loaded.card.labels)
    columns = [f"{name} %" for name in names]
    rows = []
    c, h, w = model.image_shape
    for batch in iter_loaded_images(args.queries, c, (h, w), args.batch_size):
        report_skipped(batch.errors)
        if batch.paths:
            percent = class_percent(model, torch.from_numpy(batch.images), args.batch_size)
            for path, row in zip(batch.paths, percent.tolist()):
                rows.append({"file": str(path), "predicted": names[int(np.argmax(row))], **dict(zip(columns, row))})
    if not rows:
        raise CliError("no usable query images")
    _report(rows, names, columns, args)
    return 0


def _report(rows: list[dict], classes: list[str], columns: list[str], args: argparse.Namespace) -> None:
    """Write the table (stdout, CSV or JSON), copy the files if asked, and say how many went to each class."""
    escaped = write_rows(rows, ["file", "predicted", *columns], args.out)
    if escaped:
        print(f"flowstudio classify: note: {escaped_note(escaped)}", file=sys.stderr)
    if args.copy_to:
        _copy_into_classes(rows, args.copy_to, args.out)
    counts = {name: sum(r["predicted"] == name for r in rows) for name in classes}
    print("classified " + str(len(rows)) + " images: "
          + ", ".join(f"{escape_text(k)} {v}" for k, v in counts.items()))


def _rule(args: argparse.Namespace) -> Rule:
    """The classifier rule of ``--method``, with ``--lam-abs`` as the lambda of the pooled rules that have one."""
    rule = method_rule(args.method, spec_from_args(args))
    if args.lam_abs is not None and isinstance(rule, (FullCovariance, PooledDiagonal)):
        rule = replace(rule, lam=args.lam_abs)
    return rule


def _encoded(paths: list[Path], model: ImageFlow, batch_size: int) -> Iterator[tuple[list[Path], np.ndarray,
                                                                                 torch.Tensor]]:
    """``(files, pixels, latents)`` per batch of the usable images among ``paths`` (the others are reported)."""
    c, h, w = model.image_shape
    for batch in iter_loaded_images(paths, c, (h, w), batch_size):
        report_skipped(batch.errors)
        if batch.paths:
            yield batch.paths, batch.images, next(encode_images(model, batch.images, batch_size=len(batch.paths)))[0]


def _copy_into_classes(rows: list[dict], copy_to: Path, table: Path | None) -> None:
    """``--copy-to``: each query into ``copy_to/<predicted>/``; a failed write says what was done before it."""
    for done, row in enumerate(rows):
        try:
            copy_file(row["file"], make_folder(copy_to / str(row["predicted"])) / Path(row["file"]).name)
        except WriteError as exc:
            kept = f"the table {table} was written, and " if table is not None else ""
            raise exc.also(f"{kept}{done} of {len(rows)} files were copied into {copy_to} before this") \
                from exc.__cause__
