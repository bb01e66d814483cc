"""Time left in a training run: the measured step time first, then corrected by the live rate (no clock)."""

from __future__ import annotations

import pytest

from flowstudio.studio.eta import TrainingEta


def test_the_estimate_gives_the_first_time_left():
    eta = TrainingEta(300, estimate_s=1.22, start=(0, 0.0))
    assert eta.remaining() == pytest.approx(300 * 1.22)


def test_the_live_rate_corrects_a_wrong_estimate():
    """Estimated 1.22 s a step; the run does 4 s a step: after a few events the time left is the live one."""
    eta = TrainingEta(300, estimate_s=1.22, start=(0, 0.0))
    for step in range(10, 110, 10):
        eta.observe(step, elapsed_s=4.0 * step)
    assert eta.step_s == pytest.approx(4.0, rel=0.05)
    assert eta.remaining() == pytest.approx(200 * 4.0, rel=0.05)


def test_one_slow_interval_moves_the_average_by_the_smoothing_share_only():
    eta = TrainingEta(100, estimate_s=2.0, smoothing=0.25, start=(0, 0.0))
    eta.observe(10, 20.0)  # 2 s a step, as estimated
    eta.observe(20, 60.0)  # an evaluation made these 10 steps take 4 s each
    assert eta.step_s == pytest.approx(2.0 + 0.25 * (4.0 - 2.0))
    assert eta.remaining() == pytest.approx(80 * 2.5)


def test_without_an_estimate_the_first_interval_starts_it_and_a_resumed_run_anchors_on_its_first_event():
    eta = TrainingEta(1000)  # a resumed run: where its time started is not known
    assert eta.remaining() is None
    eta.observe(500, 3600.0)  # the training seconds so far include the earlier sessions
    assert eta.remaining() is None
    eta.observe(510, 3620.0)
    assert eta.step_s == pytest.approx(2.0) and eta.remaining() == pytest.approx(490 * 2.0)


def test_the_time_left_never_goes_below_zero():
    eta = TrainingEta(10, estimate_s=1.0, start=(0, 0.0))
    eta.observe(12, 12.0)
    assert eta.remaining() == 0
