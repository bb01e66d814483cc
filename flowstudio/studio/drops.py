"""What a drop (or a paste of file names) means, decided from the paths alone.

* a model file (``.safetensors``, or a peer Glow ``.pt``/``.pth``/``.pkg``/
  ``.bin``/``.ckpt``) opens that model;
* a single ``.png`` may be a Flow Studio result: if it carries parameters it
  restores them, otherwise it is an evidence image (the caller reads it);
* everything else is evidence: folders each become a new set named after
  the folder; loose files go into the current set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flowstudio.loading import MODEL_SUFFIXES


@dataclass
class DropPlan:
    model: Path | None = None
    maybe_recipe: Path | None = None
    folders: list[Path] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def plan_drop(paths: list[str | Path]) -> DropPlan:
    plan = DropPlan()
    rest: list[Path] = []
    for path in map(Path, paths):
        if path.suffix.lower() in MODEL_SUFFIXES and plan.model is None:
            plan.model = path
        else:
            rest.append(path)
    if len(rest) == 1 and rest[0].suffix.lower() == ".png" and rest[0].is_file():
        plan.maybe_recipe = rest[0]
        return plan
    plan.folders = [p for p in rest if p.is_dir()]
    plan.files = [p for p in rest if not p.is_dir()]
    return plan
