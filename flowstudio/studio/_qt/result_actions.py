"""What can be done with a drawn cell or grid besides looking at it: export, copy, reuse as an example.

* every cell as its own PNG (a job with progress), enlarged as the user
  chose, each with its parameters and seed;
* a cell copied to the clipboard (enlarged the same way) or its seed;
* a cell added to an evidence set: it is saved at the model's own size under
  the studio's data folder (evidence is always a file) and read like any
  dropped image;
* a cell as a one-image set of its own (the Interpolation tab makes it one
  end of the strip).

File work runs on the file thread (:meth:`EngineHost.run_file_task`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication, QImage

from flowstudio.studio._qt.evidence_flow import plural
from flowstudio.studio._qt.pixmaps import to_qimage
from flowstudio.studio._qt.workers import Job
from flowstudio.studio.engine import api
from flowstudio.studio.paths import results_as_examples_dir
from flowstudio.studio.upscale import Upscale

if TYPE_CHECKING:
    from flowstudio.studio._qt.studio import Studio


class ResultActions:
    def __init__(self, studio: Studio):
        self.studio = studio

    # -- enlargement ----------------------------------------------------------------------
    @property
    def upscale(self) -> Upscale:
        """The enlargement the user chose last (Export every cell…), used by every cell export and copy."""
        prefs = self.studio.prefs
        factor = min(max(prefs.get("export_scale"), 1), 8)
        return Upscale(factor, prefs.get("export_filter") == "smooth")

    def remember_upscale(self, up: Upscale) -> None:
        self.studio.prefs.set("export_scale", up.factor)
        self.studio.prefs.set("export_filter", "smooth" if up.smooth else "sharp")

    # -- exports and the clipboard ----------------------------------------------------------
    def export_cells(self, folder: str | Path, stem: str, up: Upscale, result: Any = None) -> Job | None:
        """Every cell of ``result`` (default: the grid on screen) as its own PNG in ``folder``."""
        studio = self.studio
        result = result or studio.last_sample
        if result is None or studio.host.engine is None:
            studio.notifier.info("Nothing to export yet", "Wait for the samples to appear, then export again.")
            return None
        folder = Path(folder)
        self.remember_upscale(up)
        studio.prefs.set("export_dir", str(folder))
        n = len(result.seeds)

        def saved(paths: list[Path]) -> None:
            studio.notifier.success(f"Saved {plural(n, 'PNG')} in {folder.name}",
                                    f"{up.factor}x, each with its seed and parameters inside.",
                                    actions=[("Open folder", lambda: QDesktopServices.openUrl(
                                        QUrl.fromLocalFile(str(folder))))])

        return studio.host.run_steps(f"Exporting {plural(n, 'cell')}", api.save_cells, studio.host.engine, result,
                                     str(folder), stem, up, on_done=saved,
                                     on_error=lambda exc: studio.notifier.error("Could not export the cells", str(exc)))

    def cell_image(self, result: Any, index: int) -> QImage:
        """Cell ``index`` enlarged as the exports are."""
        image, up = to_qimage(result.images[index]), self.upscale
        mode = Qt.TransformationMode.SmoothTransformation if up.smooth else Qt.TransformationMode.FastTransformation
        return image.scaled(image.width() * up.factor, image.height() * up.factor,
                            Qt.AspectRatioMode.IgnoreAspectRatio, mode)

    def copy_image(self, result: Any, index: int) -> None:
        QGuiApplication.clipboard().setImage(self.cell_image(result, index))
        self.studio.notifier.info("Image copied", f"Seed {result.seeds[index]}, {self.upscale.factor}x.")

    def copy_seed(self, result: Any, index: int) -> None:
        QGuiApplication.clipboard().setText(str(result.seeds[index]))
        self.studio.notifier.info(f"Seed {result.seeds[index]} copied")

    # -- cells as examples -------------------------------------------------------------------
    def add_to_set(self, result: Any, index: int, set_uid: str | None = None) -> Job | None:
        """Add cell ``index`` to an evidence set (default: the current one) as a new example image."""
        studio = self.studio
        target = studio.doc.find_set(set_uid or studio.doc.document.current)
        if target is None:
            target = studio.edit.add_set("From results")
        return self._saved_cell(result, index, lambda path: studio.evidence.add([path], set_uid=target.uid))

    def as_new_set(self, result: Any, index: int, then: Callable[[str], None]) -> Job | None:
        """Cell ``index`` as a new one-image set, left unselected (for the interpolation's ends);
        ``then(set uid)`` once its image is being read."""
        studio = self.studio
        new = studio.edit.add_set(f"Seed {result.seeds[index]}", select=False)

        def saved(path: Path) -> None:
            studio.evidence.add([path], set_uid=new.uid)
            then(new.uid)

        return self._saved_cell(result, index, saved)

    def _saved_cell(self, result: Any, index: int, then: Callable[[Path], Any]) -> Job | None:
        studio = self.studio
        if studio.host.engine is None:
            return None
        return studio.host.run_file_task(f"Saving seed {result.seeds[index]}", api.save_cell_as_example,
                                         studio.host.engine, result, index, str(results_as_examples_dir()),
                                         on_done=then, on_error=lambda exc: studio.notifier.error(
                                             "Could not use the sample as an example", str(exc)))
