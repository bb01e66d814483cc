"""Using peer checkpoints: what the peer's logged nll means in our bits/dim."""

from __future__ import annotations

import math

import pytest
import torch

from flowstudio.importers import PEERS, chaiyujin, import_checkpoint, load_untrusted, unwrap_state_dict
from flowstudio.models import build_model
from tests.test_importers import CHAIYUJIN, Rand, as64, fn_forward, fn_state


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
