"""``flowstudio``: the command line, one subcommand per capability of the core.

Each subcommand lives in its own module ``flowstudio.cli.<name>_cmd`` with
``add_parser(subparsers)``; the parser it adds sets ``run``, a function of
the parsed arguments returning the exit status.  Errors a user can cause
(bad files, wrong checkpoint, bad options: :data:`flowstudio.cli.errors.USER_ERRORS`)
print one clear line and exit with status 2; anything else is a bug and
keeps its traceback.

Subcommand modules are imported only when needed: ``flowstudio NAME ...``
imports that one module, so ``flowstudio gui`` (and ``flowstudio`` with no
arguments, which opens the app) shows its window without waiting for torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from types import ModuleType

from flowstudio import __version__
from flowstudio.cli.errors import USER_ERRORS
from flowstudio.cli.options import OptionError, Parser

SUBCOMMANDS = ("sample", "interpolate", "classify", "score", "evaluate", "info", "import", "train", "gui", "screenshot",
               "selfcheck")
"""Subcommand names, in help order; ``NAME`` lives in ``flowstudio.cli.NAME_cmd``."""
DEFAULT_COMMAND = "gui"

DESCRIPTION = """\
Flow Studio bends a pretrained normalizing flow toward a few example images
(Transflow learning): evidence images are mapped to the flow's latent space,
a Bayesian posterior is formed there, and new images are drawn from it.
No retraining is needed. Without --model, commands use the bundled
Fashion-MNIST Glow.

examples:
  flowstudio sample resources/evidence/fashion/sneakers -o sneakers.png
  flowstudio interpolate --from resources/evidence/fashion/sneakers \\
                         --to resources/evidence/fashion/ankle-boots -o strip.png --gif strip.gif
  flowstudio classify --classes resources/evidence/fashion my_images/ -o sorted.csv
  flowstudio score my_images/
  flowstudio evaluate -n 2000   (sample quality: FD-FashionCNN, precision, recall)
  flowstudio gui             (or just: flowstudio)
"""


def subcommand(name: str) -> ModuleType:
    return importlib.import_module(f"flowstudio.cli.{name}_cmd")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every subcommand, or with ``only`` that one (imports just its module)."""
    parser = Parser(prog="flowstudio", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"flowstudio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMANDS if only is None else (only,):
        subcommand(name).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    argv = argv or [DEFAULT_COMMAND]
    parser = build_parser(argv[0] if argv[0] in SUBCOMMANDS else None)
    try:
        args = parser.parse_args(argv)
    except OptionError as exc:
        print(exc, file=sys.stderr)
        return 2
    args.argv = argv
    try:
        return int(args.run(args) or 0)
    except Exception as exc:
        if not isinstance(exc, USER_ERRORS):
            raise
        print(f"flowstudio {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"flowstudio {args.command}: interrupted", file=sys.stderr)
        return 130
