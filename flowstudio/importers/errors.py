"""The one exception the importers raise; its message says what is wrong and what to do."""


class PeerImportError(Exception):
    """A foreign checkpoint that cannot be imported exactly (unsafe, unknown layout, inconsistent, ...)."""
