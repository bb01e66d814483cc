"""``flowstudio info``: show a checkpoint's model card."""

from __future__ import annotations

import argparse
import json

from flowstudio.cli.common import add_model_options, open_model


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="show a model's card (family, image size, training data, bits/dim)",
                       description="Show the model card of a checkpoint: family, architecture, image size, "
                                   "training data, test bits/dim, steps, licence.")
    add_model_options(p)
    p.add_argument("--json", action="store_true", help="print the card as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    loaded = open_model(args)
    model = loaded.model
    info = {"file": str(loaded.path), "id": loaded.model_id, "sha256": loaded.sha256,
            "latent_dim": model.latent_dim,
            "parameters": sum(p.numel() for p in model.parameters()), **loaded.card.to_json()}
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=True))
        return 0
    card = loaded.card
    rows = [("File", str(loaded.path)), ("Identifier", loaded.model_id), *card.rows(),
            ("Architecture", ", ".join(f"{k}={v}" for k, v in card.architecture.items())),
            ("Steps", f"{card.steps:,}"), ("Parameters", f"{info['parameters']:,}"),
            *((key.replace("_", " ").capitalize(), str(value)) for key, value in card.provenance.items())]
    for label, text in rows:
        print(f"{label:>14}: {text}")
    return 0
