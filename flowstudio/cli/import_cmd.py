"""``flowstudio import``: convert a public PyTorch Glow checkpoint to a Flow Studio checkpoint."""

from __future__ import annotations

import argparse
from pathlib import Path

from flowstudio.checkpoint import save_checkpoint
from flowstudio.cli.common import check_output
from flowstudio.importers import PEERS, import_checkpoint


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
    p.add_argument("--peer", choices=("auto", *PEERS), default="auto",
                   help="which implementation wrote it (default: detected from the weight names)")
    p.add_argument("--hparams", type=Path, default=None,
                   help="the peer's hyper-parameter JSON (y0ast hparams.json, chaiyujin hparams/*.json); "
                        "default: hparams.json beside the checkpoint if present")
    p.add_argument("--image-size", type=int, default=None, help="image side in pixels, when hparams lack it")
    p.add_argument("--channels", type=int, choices=(1, 3), default=None, help="image channels, when hparams lack it")
    p.add_argument("--n-bits", type=int, default=None, help="bits per colour channel the model was trained with")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    check_output(args.out, (".safetensors",))
    model, card = import_checkpoint(args.checkpoint, hparams_path=args.hparams, image_size=args.image_size,
                                    channels=args.channels, n_bits=args.n_bits, peer=args.peer)
    save_checkpoint(model, args.out, card)
    c, h, w = model.image_shape
    print(f"wrote {args.out}: Glow from {card.provenance.get('peer', args.peer)}, {c}x{h}x{w}, n_bits {model.n_bits}, "
          f"{sum(p.numel() for p in model.parameters()):,} parameters")
    return 0
