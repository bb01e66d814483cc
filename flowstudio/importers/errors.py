"""The one exception the importers raise; its message says what is wrong and what to do."""

from __future__ import annotations

from flowstudio.errors import FlowStudioError

NEEDS = ("image_size", "hparams")
"""What a caller may have to tell an import because the checkpoint does not record it."""


class PeerImportError(FlowStudioError):
    """A foreign checkpoint that cannot be imported exactly (unsafe, unknown layout, inconsistent, ...).

    ``needs`` is set when the import could go ahead if the caller gave one
    more setting that the file does not record: ``"image_size"`` or
    ``"hparams"`` (the peer's hyper-parameter JSON).  Front ends use it to name
    their own option for it (see :func:`flowstudio.loading.open_model_stages`).
    """

    def __init__(self, message: str, needs: str | None = None):
        super().__init__(message)
        if needs is not None and needs not in NEEDS:
            raise ValueError(f"needs must be one of {', '.join(NEEDS)}, not {needs!r}")
        self.needs = needs
