"""The one exception the importers raise; its message says what is wrong and what to do."""

from flowstudio.errors import FlowStudioError


class PeerImportError(FlowStudioError):
    """A foreign checkpoint that cannot be imported exactly (unsafe, unknown layout, inconsistent, ...)."""
