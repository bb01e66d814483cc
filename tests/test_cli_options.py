"""Every numeric option is checked against its range as it is parsed, and the range is in --help."""

from __future__ import annotations

import argparse

import pytest

from flowstudio.cli.main import SUBCOMMANDS, build_parser, main

EVIDENCE = "resources/evidence/fashion/bags"


@pytest.mark.parametrize("argv, message", [
    (["sample", "--scale", "1000", "-o", "{tmp}/x.png"], "--scale: must be a whole number from 1 to 64, not 1000"),
    (["sample", "-t", "-1", "-o", "{tmp}/x.png"], "--temperature/-t: must be a number from 0 to 10, not -1"),
    (["sample", "-t", "nan", "-o", "{tmp}/x.png"], "--temperature/-t: must be a number from 0 to 10, not nan"),
    (["sample", "--scale", "0", "-o", "{tmp}/x.png"], "--scale: must be a whole number from 1 to 64, not 0"),
    (["sample", "--nrow", "0", "-o", "{tmp}/x.png"], "--nrow: must be a whole number from 1 to 4096, not 0"),
    (["sample", "-n", "two", "-o", "{tmp}/x.png"], "--count: must be a whole number from 1 to 4096, not 'two'"),
    (["sample", "--lam", "0", "-o", "{tmp}/x.png"], "--lam: must be a number above 0"),
    (["score", "-k", "nan", EVIDENCE], "-k: must be a number above 0 and at most 100, not nan"),
    (["interpolate", "--from", EVIDENCE, "--to", EVIDENCE, "-o", "{tmp}/x.png", "--steps", "1"],
     "--steps: must be a whole number from 2 to 256, not 1"),
    (["train", "--data", "digits", "--image-size", "10000"], "--image-size: must be a whole number from 2 to 1024"),
    (["train", "--data", "digits", "--n-bits", "9"], "--n-bits: must be a whole number from 1 to 8, not 9"),
    (["train", "--data", "digits", "--lr", "inf"], "--lr: must be a number above 0 and at most 1, not inf"),
    (["train", "--data", "digits", "--arch", "hidden=1e9"], "glow hidden must be between 1 and 2048"),
    (["train", "--data", "digits", "--arch", "steps=1e9"], "glow steps must be between 1 and 128"),
    (["train", "--data", "digits", "--arch", "bogus=1"], "unknown glow setting bogus"),
    (["sample", "--scale", "64", "-n", "4096", "-o", "{tmp}/x.png"],
     "a grid of 4096 cells at 64x would take about 12.3 GiB of memory (at most 1 GiB); lower --scale or --count"),
])
def test_an_option_out_of_range_is_one_line_and_status_2(argv, message, tmp_path, capsys):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    status = main(argv)
    err = capsys.readouterr().err
    assert status == 2 and message in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing was written


def _numeric_actions():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name in SUBCOMMANDS:
        for action in sub.choices[name]._actions:
            if getattr(action.type, "__name__", "") in ("whole number", "number"):
                yield name, action
            elif action.type in (int, float) and not action.choices:
                raise AssertionError(f"{name} {action.option_strings}: a number without a checked range")


def test_every_numeric_option_shows_its_range_in_help():
    actions = list(_numeric_actions())
    assert len(actions) > 30
    for name, action in actions:
        assert any(ch.isdigit() for ch in action.help.rsplit("(", 1)[-1]), (name, action.option_strings, action.help)
