"""What counts as a number in stored JSON (no torch): the model config and the model card check alike.

JSON gives ``true``/``false`` as Python bools (which are ints), and Python's
reader accepts ``Infinity`` and ``NaN``; neither is a usable number here.
"""

from __future__ import annotations

import math
from typing import Any


def is_number(value: Any) -> bool:
    """A finite int or float, not a bool."""
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def is_whole(value: Any) -> bool:
    """A finite number with no fractional part (``8`` or ``8.0``), not a bool."""
    return is_number(value) and int(value) == value
