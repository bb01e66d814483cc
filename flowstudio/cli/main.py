"""``flowstudio``: the command line, one subcommand per capability of the core.

Each subcommand lives in its own module with ``add_parser(subparsers)``; the
parser it adds sets ``run``, a function of the parsed arguments returning the
exit status.  Errors a user can cause (bad files, wrong checkpoint, bad
options) print one clear line and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from flowstudio import __version__
from flowstudio.cli import (classify_cmd, import_cmd, info_cmd, interpolate_cmd, sample_cmd, score_cmd,
                            train_cmd)
from flowstudio.cli.common import USER_ERRORS

SUBCOMMANDS = (sample_cmd, interpolate_cmd, classify_cmd, score_cmd, info_cmd, import_cmd, train_cmd)

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
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="flowstudio", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"flowstudio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in SUBCOMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.argv = argv
    try:
        return int(args.run(args) or 0)
    except USER_ERRORS as exc:
        print(f"flowstudio {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"flowstudio {args.command}: interrupted", file=sys.stderr)
        return 130
