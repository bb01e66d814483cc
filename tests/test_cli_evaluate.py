"""``flowstudio evaluate``: FD-FashionCNN of a real (tiny, untrained) GLF checkpoint, and clear refusals."""

from __future__ import annotations

import json

import pytest

from flowstudio.checkpoint import save_checkpoint
from flowstudio.cli.main import main
from flowstudio.metrics.evaluate import evaluate_sample_quality
from flowstudio.models import build_model
from flowstudio.resources import resources_dir

TINY_GLF = {"family": "glf", "image_shape": [1, 28, 28], "conv1": 4, "conv2": 8, "fc": 16, "flow_blocks": 1,
            "flow_hidden": 8}


@pytest.fixture(scope="module")
def glf_path(tmp_path_factory):
    return save_checkpoint(build_model(TINY_GLF).eval(), tmp_path_factory.mktemp("glf") / "glf.safetensors")


def test_evaluate_prints_the_fd_precision_and_recall_of_a_model(glf_path, capsys):
    assert main(["evaluate", "-m", str(glf_path), "-n", "60", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["metric"] == "FD-FashionCNN" and out["n_generated"] == out["n_real"] == 60
    assert out["fd"] > 1.0  # an untrained decoder draws nothing like clothes
    assert 0.0 <= out["precision"] <= 1.0 and 0.0 <= out["recall"] <= 1.0
    assert main(["evaluate", "-m", str(glf_path), "-n", "60"]) == 0
    assert "FD-FashionCNN" in capsys.readouterr().out


def test_the_same_seed_gives_the_same_numbers(glf_path):
    from flowstudio.checkpoint import load_checkpoint
    model = load_checkpoint(glf_path).model
    assert evaluate_sample_quality(model, 40, seed=3) == evaluate_sample_quality(model, 40, seed=3)


def test_evaluate_refuses_models_of_other_images_and_bad_counts(glf_path, capsys):
    portraits = resources_dir() / "models" / "portraits_glow.safetensors"
    assert main(["evaluate", "-m", str(portraits), "-n", "10"]) == 2
    assert "needs a model of 1x28x28 grey images" in capsys.readouterr().err
    assert main(["evaluate", "-m", str(glf_path), "-n", "20000"]) == 2
    assert "-n" in capsys.readouterr().err


def test_evaluate_refuses_a_points_model_in_words(tmp_path, capsys):
    maf = save_checkpoint(build_model({"family": "maf", "dim": 2, "transforms": 1, "hidden": 8}),
                          tmp_path / "maf.safetensors")
    assert main(["evaluate", "-m", str(maf), "-n", "10"]) == 2
    assert "not images" in capsys.readouterr().err
