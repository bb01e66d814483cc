"""Using peer checkpoints: what the peer's logged nll means in our bits/dim, and opening them from every command."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

from flowstudio.cli.main import main
from flowstudio.importers import PEERS, PeerImportError, chaiyujin, import_checkpoint, load_untrusted, unwrap_state_dict
from flowstudio.loading import open_model
from flowstudio.models import build_model
from tests.test_importers import CHAIYUJIN, Rand, as64, fn_forward, fn_state, ros_state


@pytest.mark.parametrize("channels, levels", [(3, 2), (1, 3)])
def test_the_peers_logged_nll_converts_to_our_bits_per_dim(tmp_path, channels, levels):
    steps, size = 2, 8
    sd = fn_state(Rand(11), CHAIYUJIN, channels, size, levels, steps, 8, True, False)
    path = tmp_path / "save.pkg"
    torch.save({"graph": sd}, path)
    model, _ = import_checkpoint(path)
    config, ours = PEERS["chaiyujin"].convert(unwrap_state_dict(load_untrusted(path)))
    exact = build_model(config).double().eval()
    exact.load_state_dict(ours)

    k = torch.randint(0, 256, (4, channels, size, size), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    # The peer's Glow.normal_flow on these images (without its dequantisation noise): H*W pixels, -H*W log 256.
    log_p, _, _ = fn_forward(as64(sd), CHAIYUJIN, k.double() / 255, levels, steps)
    pixels = size * size
    peer_nll = -(log_p - pixels * math.log(256.0)) / (pixels * math.log(2.0))

    expected = torch.tensor([chaiyujin.peer_nll_to_bits_per_dim(float(n), channels) for n in peer_nll]).double()
    with torch.no_grad():
        ours_exact, ours = exact.bits_per_dim(k), model.bits_per_dim(k).double()
    torch.testing.assert_close(ours_exact, expected, rtol=0, atol=1e-6)  # (float32 preprocessing)
    torch.testing.assert_close(ours, expected, rtol=0, atol=2e-4)
    # Read as bits/dim, the peer's nll is off by the 8 (C - 1) / C bits per value it does not charge (and by the
    # pixel scale's log2(256/255)): 5.3 bits for RGB.
    off = expected - peer_nll
    torch.testing.assert_close(off, peer_nll * (1 / channels - 1) + 8 * (channels - 1) / channels
                               - math.log2(256 / 255), rtol=0, atol=1e-6)
    if channels == 1:
        torch.testing.assert_close(off, torch.full_like(off, -math.log2(256 / 255)), rtol=0, atol=1e-6)


@pytest.fixture
def rosinality_file(tmp_path):
    path = tmp_path / "model_010001.pt"
    torch.save({"module." + k: v for k, v in ros_state(Rand(8), 1, 2, 1, 4, True, True).items()}, path)
    return path


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (8, 8), dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


def test_every_command_opens_a_peer_checkpoint_with_the_import_options(rosinality_file, images, tmp_path, capsys):
    assert main(["info", "--model", str(rosinality_file), "--image-size", "8"]) == 0
    out = capsys.readouterr().out
    assert "rosinality" in out and "model_010001" in out
    assert main(["score", "-m", str(rosinality_file), "--image-size", "8", "--n-bits", "8", str(images),
                 "-o", str(tmp_path / "s.json")]) == 0
    assert main(["sample", "-m", str(rosinality_file), "--image-size", "8", str(images), "-n", "2",
                 "-o", str(tmp_path / "grid.png")]) == 0


def test_without_the_image_size_the_error_names_the_option_and_flowstudio_import(rosinality_file, capsys):
    assert main(["info", "--model", str(rosinality_file)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "do not record the image size" in err and "--image-size N" in err
    assert f"flowstudio import {rosinality_file} --image-size N -o model_010001.safetensors" in err
    with pytest.raises(PeerImportError, match="flowstudio import") as caught:  # what the studio shows
        open_model(rosinality_file)
    assert caught.value.needs == "image_size"
    assert main(["import", str(rosinality_file), "-o", str(rosinality_file.with_suffix(".safetensors"))]) == 2
    assert "(add --image-size N)" in capsys.readouterr().err


def test_import_options_are_refused_with_a_native_checkpoint(rosinality_file, tmp_path, capsys):
    native = tmp_path / "native.safetensors"
    assert main(["import", str(rosinality_file), "--image-size", "8", "-o", str(native)]) == 0
    capsys.readouterr()
    assert main(["info", "-m", str(native), "--image-size", "8"]) == 2
    assert "image_size: only for importing peer checkpoints" in capsys.readouterr().err
    assert main(["info", "-m", str(native)]) == 0


def test_a_wrong_image_size_is_the_users_value_not_an_inconsistent_checkpoint(rosinality_file, tmp_path, capsys):
    with pytest.raises(PeerImportError, match=r"image size 30x30 does not fit the checkpoint's weights: its 2 "
                                              r"levels .* multiple of 4 \(nearest: 28 or 32\)") as caught:
        import_checkpoint(rosinality_file, image_size=30)
    assert "inconsistent" not in str(caught.value)
    assert main(["info", "-m", str(rosinality_file), "--image-size", "6"]) == 2
    err = capsys.readouterr().err
    assert "image size 6x6 does not fit the checkpoint's weights" in err and "nearest: 4 or 8" in err

    pkg = tmp_path / "save.pkg"  # its prior_h records 8x8
    torch.save({"graph": fn_state(Rand(3), CHAIYUJIN, 3, 8, 2, 1, 4, True, False)}, pkg)
    with pytest.raises(PeerImportError, match=r"image size 16x16 does not fit the checkpoint's weights, which "
                                              r"are for 8x8 images; give 8, or leave the image size out") as caught:
        import_checkpoint(pkg, image_size=16)
    assert "inconsistent" not in str(caught.value)
