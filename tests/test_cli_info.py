"""``flowstudio info``: the card of the bundled model, for people and as JSON."""

from __future__ import annotations

import json

from flowstudio.cli.main import main


def test_info_shows_the_card_in_words_and_as_json(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    for line in ("Family: Glow", "Images: 28 × 28, greyscale, 8-bit", "Latent: level0 2×14×14 · top 8×7×7",
                 "Test bits/dim: 2.963 ± 0.909", "Steps: 14,000", "Recipe: flowstudio train --data fashion-mnist"):
        assert line in out, line
    assert main(["info", "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["card_version"] == 2 and card["latent_dim"] == 784
    assert card["likelihood"] == {"kind": "exact", "test_bits_per_dim": 2.96278654435277,
                                  "test_bits_per_dim_std": 0.9085118529452463}
