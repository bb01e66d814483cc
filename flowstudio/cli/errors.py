"""Which exceptions the command line shows as one line (exit status 2) instead of a traceback.

Torch-free, so :func:`flowstudio.cli.main.main` can tell a user error from a
bug without importing the core.  Every user-facing error of the core
subclasses :class:`~flowstudio.errors.FlowStudioError`; ``ValueError`` is
deliberately *not* listed: a ``ValueError`` from inside a command is a bug,
and keeps its traceback.  Set ``FLOWSTUDIO_DEBUG=1`` to see tracebacks for
user errors too.
"""

from __future__ import annotations

import os

from flowstudio.errors import FlowStudioError


class CliError(FlowStudioError):
    """A problem with the user's request; the message is shown as it is."""


USER_ERRORS: tuple[type[BaseException], ...] = () if os.environ.get("FLOWSTUDIO_DEBUG") else (
    FlowStudioError, FileNotFoundError, PermissionError, IsADirectoryError)
