"""The one model loader of the command line and the studio (flowstudio.loading), and the records module."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from flowstudio.errors import FlowStudioError, UserInputError
from flowstudio.loading import ModelNotFoundError, PeerOptions, is_peer_checkpoint, open_model, open_model_stages
from flowstudio.records import write_rows


def test_the_loader_and_records_do_not_import_torch_or_the_command_line():
    code = ("import sys, flowstudio.loading, flowstudio.records\n"
            "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith(('flowstudio.cli', 'PySide6'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_missing_model_is_a_core_error_not_a_cli_error(tmp_path):
    with pytest.raises(ModelNotFoundError, match="missing.safetensors: no such checkpoint") as caught:
        next(open_model_stages(tmp_path / "missing.safetensors"))
    assert isinstance(caught.value, FlowStudioError)
    assert not any(cls.__module__.startswith("flowstudio.cli") for cls in type(caught.value).__mro__)


def test_peer_options_are_refused_for_a_native_checkpoint(tmp_path):
    native = tmp_path / "model.safetensors"
    native.write_bytes(b"not read: the options are checked first")
    with pytest.raises(UserInputError, match="image_size, n_bits: only for importing peer checkpoints"):
        open_model(native, peer=PeerOptions(image_size=32, n_bits=5))
    assert PeerOptions().given() == [] and PeerOptions(peer="y0ast").given() == ["peer"]


def test_which_files_are_imported():
    assert is_peer_checkpoint("glow.PT") and is_peer_checkpoint("save.pkg") and is_peer_checkpoint("m.ckpt")
    assert not is_peer_checkpoint("model.safetensors")


def test_stages_are_named_before_they_run_and_stop_cleanly(tmp_path, monkeypatch):
    import flowstudio.devices as devices

    native = tmp_path / "model.safetensors"
    native.write_bytes(b"x")
    chosen = []
    monkeypatch.setattr(devices, "resolve_device", lambda name: chosen.append(name) or "cpu")
    stages = open_model_stages(native, "cpu")
    assert next(stages) == "choosing the device" and chosen == []
    assert next(stages) == "reading model.safetensors" and chosen == ["cpu"]
    stages.close()  # a Cancel between stages: nothing was read


def test_write_rows_csv_to_stdout_and_json_to_a_file(tmp_path, capsys):
    rows = [{"file": "a.png", "score": 1.23456, "unlikely": False}]
    write_rows(rows, ["file", "score", "unlikely"], None)
    assert capsys.readouterr().out.splitlines() == ["file,score,unlikely", "a.png,1.235,False"]
    write_rows(rows, ["file", "score", "unlikely"], tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text()) == rows
    write_rows(rows, ["file", "score", "unlikely"], str(tmp_path / "r.csv"))
    assert (tmp_path / "r.csv").read_text().splitlines()[1] == "a.png,1.235,False"
