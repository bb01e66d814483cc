"""What the command line shows for an error: one line and status 2 for the user's mistakes, a traceback for bugs."""

from __future__ import annotations

import subprocess
import sys

import pytest

import flowstudio.cli.info_cmd as info_cmd
from flowstudio.cli.errors import USER_ERRORS, CliError
from flowstudio.cli.main import main
from flowstudio.data.images import ImageLoadError
from flowstudio.errors import ConfigError, FlowStudioError, UserInputError
from flowstudio.importers import PeerImportError


def _raise(exc: BaseException):
    def run(*_args, **_kwargs):
        raise exc

    return run


def test_value_error_is_not_a_user_error():
    assert not any(issubclass(ValueError, kind) for kind in USER_ERRORS)
    for kind in (CliError, PeerImportError, ImageLoadError, UserInputError, ConfigError):
        assert issubclass(kind, FlowStudioError)
    assert issubclass(UserInputError, ValueError)  # existing `except ValueError` around validations still works


def test_an_unexpected_value_error_inside_a_command_propagates(monkeypatch, capsys):
    monkeypatch.setattr(info_cmd, "open_model", _raise(ValueError("a bug, not the user's fault")))
    with pytest.raises(ValueError, match="a bug"):
        main(["info"])
    assert "error:" not in capsys.readouterr().err  # not dressed up as a one-line user error


@pytest.mark.parametrize("exc", [UserInputError("--frobnicate must be at least 1, got 0"),
                                 CliError("--frobnicate must be at least 1, got 0")])
def test_a_user_input_error_is_one_line_and_status_2(monkeypatch, capsys, exc):
    monkeypatch.setattr(info_cmd, "open_model", _raise(exc))
    assert main(["info"]) == 2
    err = capsys.readouterr().err
    assert err == "flowstudio info: error: --frobnicate must be at least 1, got 0\n"


def test_a_bug_in_a_subprocess_prints_its_traceback():
    code = ("import sys\n"
            "import flowstudio.cli.info_cmd as info_cmd\n"
            "from flowstudio.cli.main import main\n"
            "def broken(args):\n"
            "    raise ValueError('a bug deep inside')\n"
            "info_cmd.open_model = broken\n"
            "sys.exit(main(['info']))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert "Traceback" in out.stderr and "ValueError: a bug deep inside" in out.stderr
    assert "error: a bug" not in out.stderr


def test_a_core_option_check_reached_from_the_command_line_is_a_user_error(tmp_path, capsys, monkeypatch):
    # The device check lives in the core (flowstudio.devices) and raises UserInputError.
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    assert main(["sample", "-o", str(tmp_path / "x.png"), "--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert "device cuda was asked for" in err and "Traceback" not in err
    assert len(err.splitlines()) == 1


def test_core_value_checks_raise_user_input_errors():
    import numpy as np

    from flowstudio.data.images import iter_loaded_images
    from flowstudio.transflow import LikelihoodSpec
    from flowstudio.transflow.encode import iter_batches

    with pytest.raises(UserInputError, match="batch size must be at least 1"):
        next(iter_batches(np.zeros((2, 1, 4, 4), np.uint8), 0))
    with pytest.raises(UserInputError, match="channels must be 1 or 3"):
        next(iter_loaded_images([], 2, (4, 4)))
    with pytest.raises(UserInputError, match="lambda must be positive"):
        LikelihoodSpec(lam=0)


@pytest.mark.parametrize("argv, message", [
    (["--steps", "0"], "--steps: must be a whole number from 1 to 1,000,000,000, not 0"),
    (["--arch", "hidden=-1"], "glow hidden must be between 1 and 2048, not -1"),
    (["--arch", "steps=1e9"], "glow steps must be between 1 and 128"),
    (["--arch", "bogus=1"], "unknown glow setting bogus"),
    (["--n-bits", "0"], "--n-bits: must be a whole number from 1 to 8, not 0"),
    (["--arch", "n_bits=9"], "glow n_bits must be between 1 and 8, not 9"),
])
def test_train_options_out_of_range_are_one_line_before_anything_runs(argv, message, capsys, tmp_path):
    assert main(["train", "--data", "digits", "--family", "glow", "--run-dir", str(tmp_path / "run"), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()  # refused before the run folder was made
