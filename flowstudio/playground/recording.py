"""The frames of a training kept for its animation, thinned as it grows so memory stays bounded.

A run of any length keeps at most :data:`MAX_FRAMES` frames, evenly spaced:
frames are kept every ``stride``-th one (at first every
:data:`FIRST_STRIDE`-th: composing a frame costs the worker time that
training and the live view could use); when the buffer is full, every other
kept frame is dropped and the stride doubles.  So a long run's
animation spans the whole training at an even pace instead of its end.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

MAX_FRAMES = 120
"""At most this many frames (about 50 MB of RGB at :data:`FRAME_SCALE`)."""
FIRST_STRIDE = 2
FRAME_SCALE = 0.75
"""Recorded frames are the composed frame at this scale (an animation is seen smaller than the live view; it is
written at this size, not enlarged)."""


class Recording:
    """Composed, scaled frames of a session, evenly thinned to at most ``max_frames``."""

    def __init__(self, max_frames: int = MAX_FRAMES, scale: float = FRAME_SCALE, first_stride: int = FIRST_STRIDE):
        self.max_frames, self.scale, self.first_stride = max_frames, scale, first_stride
        self.frames: list[Image.Image] = []
        self.stride = first_stride
        self.size: tuple[int, int] | None = None
        self._seen = 0

    def clear(self) -> None:
        self.frames.clear()
        self.stride, self.size, self._seen = self.first_stride, None, 0

    def add(self, pictures: Any) -> None:
        """Keep ``pictures`` (a :class:`~flowstudio.playground.session.Pictures`) if it falls on the stride."""
        self._seen += 1
        if (self._seen - 1) % self.stride:
            return
        image = pictures.composed()
        if self.size is None:  # the first frame's, scaled; later frames match it (the live panels may resize)
            self.size = (round(image.width * self.scale), round(image.height * self.scale))
        if image.size != self.size:
            image = image.resize(self.size, Image.Resampling.LANCZOS)
        self.frames.append(image)
        if len(self.frames) >= self.max_frames:
            self.frames = self.frames[::2]
            self.stride *= 2
