"""One vocabulary for lambda: LikelihoodSpec, its record, and the records older versions wrote."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from flowstudio.errors import UserInputError
from flowstudio.likelihood import COVARIANCES, LikelihoodSpec, read_png_likelihood


def test_the_spec_is_the_transflow_spec_and_imports_no_torch():
    import flowstudio.transflow as transflow

    assert transflow.LikelihoodSpec is LikelihoodSpec and transflow.COVARIANCES == COVARIANCES
    out = subprocess.run([sys.executable, "-c", "import sys, flowstudio.likelihood; print('torch' in sys.modules)"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_record_round_trip_and_partial_records():
    spec = LikelihoodSpec(lam=6, relative=False, covariance="diagonal", floor=0.05)
    assert spec.to_record() == {"lam": 6.0, "relative": False, "covariance": "diagonal", "floor": 0.05}
    assert LikelihoodSpec.from_record(spec.to_record()) == spec
    assert LikelihoodSpec.from_record({"covariance": "diagonal"}) == LikelihoodSpec(covariance="diagonal")
    assert LikelihoodSpec.from_record({"lam": 0.3}, base=spec) == LikelihoodSpec(0.3, False, "diagonal", 0.05)
    assert LikelihoodSpec.from_record({**spec.to_record(), "from_a_newer_version": 1}) == spec
    assert spec.absolute_lambda(8) == 6.0 and LikelihoodSpec(lam=0.5).absolute_lambda(8) == 4.0


@pytest.mark.parametrize("record, message", [
    ({"lam": -1}, "lambda must be positive"),
    ({"lam": "0.5"}, "lambda must be a number"),
    ({"relative": "yes"}, "relative must be true or false"),
    ({"covariance": "full"}, "covariance must be 'isotropic' or 'diagonal'"),
    ({"floor": 0}, "floor must be positive"),
])
def test_damaged_records_are_user_errors(record, message):
    with pytest.raises(UserInputError, match=message):
        LikelihoodSpec.from_record(record)


def test_png_records_of_this_and_the_previous_version():
    spec = LikelihoodSpec(lam=0.3, covariance="diagonal", floor=0.02)
    assert read_png_likelihood({"likelihood": spec.to_record(), "lam_abs": 2.4}) == spec.to_record()
    old = {"lambda": 0.3, "lambda_relative": True, "covariance": "diagonal", "floor": 0.02, "lambda_abs": 2.4}
    assert read_png_likelihood(old) == spec.to_record()
    assert read_png_likelihood({"lambda": 6.0, "lambda_relative": False}) == {"lam": 6.0, "relative": False}
    assert read_png_likelihood({"lambda": 0.7}) == {"lam": 0.7, "relative": True}  # relative was the default
    assert read_png_likelihood({"kind": "prior_samples"}) == {}
    with pytest.raises(UserInputError):
        read_png_likelihood({"likelihood": [0.5]})


def test_a_png_written_by_the_previous_version_restores_its_parameters(tmp_path):
    from flowstudio.imaging import save_png
    from flowstudio.studio.engine.export import inspect_png
    from flowstudio.studio.state import PosteriorParams

    png = tmp_path / "old.png"
    old_record = {"model": "fashion_glow@1", "model_sha256": "ab", "temperature": 0.6, "kind": "posterior_samples",
                  "evidence": [{"file": "a.png", "sha256": "0011223344556677"}], "lambda": 8.0,
                  "lambda_relative": False, "covariance": "isotropic", "m": 1, "lambda_abs": 8.0, "seeds": [3, 4]}
    save_png(Image.fromarray(np.zeros((8, 8), np.uint8)), png, old_record)
    dropped = inspect_png(png)
    params = PosteriorParams().with_changes(**dropped.recipe.params)
    assert params.likelihood == LikelihoodSpec(lam=8.0, relative=False)
    assert (params.temperature, params.seed, params.count) == (0.6, 3, 2) and dropped.missing == ("a.png",)
