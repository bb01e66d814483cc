"""Numeric command-line options with their allowed range, checked as they are parsed and shown in --help.

``add_number(parser, "--scale", whole=True, low=1, high=64, ...)`` adds an
option whose value argparse refuses (exit 2, one line) unless it is a finite
number in ``[low, high]`` (``(low, high]`` with ``open_low``; a whole number
with ``whole``), and whose help text ends with that range and the default.
:class:`Parser` prints a refused option as one line that points at --help,
instead of argparse's usage block.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from flowstudio.cli.errors import CliError


class OptionError(Exception):
    """An option argparse refused; :func:`flowstudio.cli.main.main` prints it as one line and returns 2."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, ``flowstudio sample: error: ... (see --help)``,
    raised as :class:`OptionError` so that ``main()`` returns status 2 like for any other user error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise OptionError(f"{self.prog}: error: {message} (see {self.prog} --help)")


def _fmt(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) and abs(value) >= 10_000 else f"{value:g}"


def number_type(whole: bool, low: float, high: float, open_low: bool = False):
    """An argparse ``type`` that accepts only finite numbers in the range (whole numbers when ``whole``)."""
    what = "a whole number" if whole else "a number"
    bound = f"above {_fmt(low)} and at most {_fmt(high)}" if open_low else f"from {_fmt(low)} to {_fmt(high)}"

    def parse(text: str) -> float | int:
        try:
            value: Any = int(text) if whole else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what} {bound}, not {text!r}") from None
        if not math.isfinite(value) or value < low or value > high or (open_low and value == low):
            raise argparse.ArgumentTypeError(f"must be {what} {bound}, not {text}")
        return value

    parse.__name__ = "whole number" if whole else "number"
    return parse


def add_number(p: Any, *flags: str, whole: bool, low: float, high: float, default: Any = None,
               help: str, open_low: bool = False, **kwargs: Any) -> None:
    """Add a numeric option to ``p`` (a parser or an argument group) with its range checked and in its help."""
    bound = f">{_fmt(low)} to {_fmt(high)}" if open_low else f"{_fmt(low)}-{_fmt(high)}"
    shown = "" if default is None or "default:" in help else f"; default: {_fmt(default)}"
    p.add_argument(*flags, type=number_type(whole, low, high, open_low), default=default,
                   help=f"{help} ({bound}{shown})", **kwargs)


MAX_SEED = 2**32 - 1
MAX_COUNT = 4096
"""Images one command draws at a time (grid cells, rows x steps of a strip)."""
MAX_TEMPERATURE = 10.0
MAX_SCALE = 64
MAX_BATCH = 65536
MAX_LAMBDA = 1e6
MAX_OUTPUT_BYTES = 1 << 30
"""The largest image array a command builds in memory (1 GiB); bigger requests are refused with the estimate."""


def check_output_size(what: str, nbytes: int, fix: str) -> None:
    """Refuse to build an output of ``nbytes`` over :data:`MAX_OUTPUT_BYTES`, saying how big and what to change."""
    if nbytes > MAX_OUTPUT_BYTES:
        raise CliError(f"{what} would take about {nbytes / 2**30:.1f} GiB of memory "
                       f"(at most {MAX_OUTPUT_BYTES / 2**30:.0f} GiB); {fix}")

