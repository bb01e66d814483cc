"""What an evidence thumbnail's tooltip says about its bits/dim and badge."""

from __future__ import annotations

from flowstudio.studio._qt.panels.evidence_model import tooltip
from flowstudio.studio.state import EvidenceItem


def test_a_negative_bits_per_dim_is_explained_as_atypical_not_as_unlikely():
    flat = EvidenceItem(path="/x/black.png", sha256="ab", bpd=-0.475, unlikely=True, reason="bits/dim -0.475 is below 0")
    text = tooltip(flat, "unlikely")
    assert "-0.475 bits per pixel under the model (lower is likelier)" in text
    assert "which no real image can score" in text and "very unlikely" not in text
    noisy = EvidenceItem(path="/x/noise.png", sha256="cd", bpd=7.6, unlikely=True, reason="bits/dim 7.600 > 5.6")
    assert "The model finds this image very unlikely" in tooltip(noisy, "unlikely")
