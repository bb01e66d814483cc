"""The panel registry: how the window learns which panels and views exist.

A panel is registered with a :class:`PanelSpec`: a key, a title, an icon,
where it goes (``"left"``/``"right"`` dock, or ``"center"`` for a tab beside
the sample grid), and a factory that builds its widget from the
:class:`~flowstudio.studio._qt.studio.Studio` (the document, undo stack,
engine host, renderers, notifier and preferences are all reachable from
it).  A panel may also name screenshot views (:class:`ScreenshotSpec`),
which ``flowstudio screenshot`` renders.

Adding a panel (the Interpolation, Classify and Train views were added this way):

1. write ``flowstudio/studio/_qt/views/interpolation_view.py`` (or
   ``panels/...`` for a dock) with a widget class taking ``studio``;
2. at the bottom of that module call
   ``register_panel(PanelSpec("interpolation", "Interpolation", "fa5s.exchange-alt", "center",
   InterpolationView, order=30, screenshots=(ScreenshotSpec("interpolation", show_tab("interpolation")),)))``;
3. add the module's name to :data:`PANEL_MODULES`.

Model work must go through ``studio.host`` (jobs with progress and Cancel)
or a :class:`~flowstudio.studio._qt.workers.LatestWinsRenderer`, never on the
GUI thread; state that belongs in project files goes into
:mod:`flowstudio.studio.state`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from PySide6.QtWidgets import QWidget

PANEL_MODULES = (
    "flowstudio.studio._qt.views.samples_view",
    "flowstudio.studio._qt.views.sweep_view",
    "flowstudio.studio._qt.panels.evidence_panel",
    "flowstudio.studio._qt.panels.posterior_panel",
    "flowstudio.studio._qt.panels.model_panel",
    "flowstudio.studio._qt.views.interpolation_view",
    "flowstudio.studio._qt.views.classify_view",
    "flowstudio.studio._qt.views.train_view",
    "flowstudio.studio._qt.views.playground_view",
)
"""Modules that register panels when imported, in no particular order (``order`` sorts them)."""


@dataclass(frozen=True)
class ScreenshotSpec:
    """A canonical view for ``flowstudio screenshot``.

    ``prepare(window)`` puts the window (already showing the example
    sneakers set on the Samples tab) in that state; it returns the widget to
    capture (a dialog, say), or ``None`` for the whole window.  The capture
    waits until every job and redraw has finished.
    """

    name: str
    prepare: Callable[[Any], QWidget | None]


@dataclass(frozen=True)
class PanelSpec:
    key: str
    title: str
    icon: str
    area: Literal["left", "right", "center"]
    factory: Callable[[Any], QWidget]
    order: int = 100
    screenshots: tuple[ScreenshotSpec, ...] = ()


_REGISTRY: dict[str, PanelSpec] = {}


def register_panel(spec: PanelSpec) -> PanelSpec:
    """Add (or replace, by key) a panel; the window builds every registered panel at start-up."""
    _REGISTRY[spec.key] = spec
    return spec


def registered_panels(area: str | None = None) -> list[PanelSpec]:
    """All panels (of ``area``), in display order, after importing :data:`PANEL_MODULES`."""
    for module in PANEL_MODULES:
        importlib.import_module(module)
    specs = sorted(_REGISTRY.values(), key=lambda s: (s.order, s.key))
    return [s for s in specs if area is None or s.area == area]


def show_tab(key: str) -> Callable[[Any], None]:
    """A :class:`ScreenshotSpec` ``prepare`` that brings the centre tab ``key`` to the front."""
    return lambda window: window.show_panel(key)  # returns None: capture the window
