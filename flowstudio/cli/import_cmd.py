"""``flowstudio import``: convert a public PyTorch Glow checkpoint to a Flow Studio checkpoint."""

from __future__ import annotations

import argparse
from pathlib import Path

from flowstudio.checkpoint import save_checkpoint
from flowstudio.cli.common import CliError, add_peer_options, check_output, peer_options
from flowstudio.importers import PeerImportError, import_checkpoint
from flowstudio.loading import NEEDS_OPTIONS


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import", help="convert a peer Glow checkpoint (y0ast, rosinality, chaiyujin) to .safetensors",
        description="Convert a checkpoint of y0ast/Glow-PyTorch (state_dict + hparams.json), "
                    "rosinality/glow-pytorch (model_*.pt) or chaiyujin/glow-pytorch (.pkg) into a Flow Studio "
                    ".safetensors file. The file is read with torch.load(weights_only=True): files that "
                    "need code to unpickle are refused. The imported model gives the same log-likelihood "
                    "and reconstructions as the peer's own code.")
    p.add_argument("checkpoint", type=Path, help="the peer checkpoint file")
    p.add_argument("-o", "--out", type=Path, required=True, help="output .safetensors file")
    add_peer_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    check_output(args.out, (".safetensors",))
    try:
        model, card = import_checkpoint(args.checkpoint, **peer_options(args).import_kwargs())
    except PeerImportError as exc:
        if exc.needs is None:
            raise
        raise CliError(f"{exc} (add {NEEDS_OPTIONS[exc.needs]})") from None
    save_checkpoint(model, args.out, card)
    c, h, w = model.image_shape
    print(f"wrote {args.out}: Glow from {card.provenance.get('peer', args.peer)}, {c}x{h}x{w}, n_bits {model.n_bits}, "
          f"{sum(p.numel() for p in model.parameters()):,} parameters")
    return 0
