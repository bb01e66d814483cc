"""``flowstudio classify --method``: each classifier rule on real Fashion-MNIST files with the bundled model."""

from __future__ import annotations

import csv

import pytest

from flowstudio.cli.main import main
from flowstudio.resources import default_model_path
from flowstudio.studio.engine.classify import write_fashion_queries


@pytest.fixture(scope="module")
def fashion_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("fashion")
    examples = write_fashion_queries(root / "examples", per_class=8, start=4000)
    queries = write_fashion_queries(root / "queries", per_class=5)
    classes = {}
    for path, name in examples.items():
        classes.setdefault(name, []).append(path)
    return classes, queries, root


@pytest.mark.parametrize("method", ["isotropic", "full-covariance", "pooled-diagonal", "fusion"])
def test_each_method_sorts_fashion_files(fashion_files, method, tmp_path, capsys):
    classes, truth, root = fashion_files
    out = tmp_path / f"{method}.csv"
    args = ["classify", str(root / "queries"), "-o", str(out), "-m", str(default_model_path()), "--method", method]
    for name, paths in classes.items():
        args += ["--class", f"{name}={','.join(paths)}"]
    assert main(args) == 0
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["file", "predicted", *classes]
    assert sum(truth[r["file"]] == r["predicted"] for r in rows) >= 12, rows
    assert all(r["predicted"] == max(classes, key=lambda c: float(r[c])) for r in rows)
    assert "classified 15 images" in capsys.readouterr().out


def test_methods_and_their_lambda_score_differently(fashion_files, tmp_path):
    classes, _, root = fashion_files
    tables = {}
    for method, options in (("isotropic", []), ("full-covariance", []), ("full-covariance", ["--lam-abs", "0.01"])):
        out = tmp_path / "table.csv"
        args = ["classify", str(root / "queries"), "-o", str(out), "-m", str(default_model_path()),
                "--method", method, *options]
        for name, paths in classes.items():
            args += ["--class", f"{name}={','.join(paths)}"]
        assert main(args) == 0
        tables[(method, *options)] = [float(r["bags"]) for r in csv.DictReader(out.open())]
    assert len({tuple(t) for t in tables.values()}) == 3


def test_an_unknown_method_is_refused(capsys):
    assert main(["classify", "x.png", "--class", "a=x.png", "--class", "b=x.png", "--method", "nearest"]) != 0
    assert "invalid choice: 'nearest'" in capsys.readouterr().err
