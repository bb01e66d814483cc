"""The error classes that mean "the user can fix this" (no torch, no Qt).

Front ends (the command line, the studio) show these as one plain line; any
other exception is a bug and keeps its traceback.  :class:`UserInputError`
subclasses :class:`ValueError` so that code which already catches
``ValueError`` around a validation keeps working, but front ends catch
:class:`FlowStudioError`, never ``ValueError`` itself.
"""

from __future__ import annotations

import errno
import os


class FlowStudioError(Exception):
    """Base of every error whose message is meant for the user, as it is."""


class UserInputError(FlowStudioError, ValueError):
    """A setting, option or value outside what is allowed; the message names it and the allowed range."""


class ConfigError(UserInputError):
    """A model configuration (typed config or its stored JSON) that cannot describe a model."""


REASONS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOENT: "its folder does not exist",
    errno.ENOTDIR: "part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder",
    errno.EEXIST: "a file of that name is in the way",
    errno.EFBIG: "file too large",
    errno.ENAMETOOLONG: "file name too long",
    errno.EIO: "input/output error (the disk may be failing or gone)",
}
"""The reasons an operating-system error gives, in words (the rest use the system's own text)."""


def reason_in_words(exc: OSError) -> str:
    """Why ``exc`` happened, as a few lower-case words: ``"no space left on device"``, ``"read-only file system"``."""
    if exc.errno in REASONS:
        return REASONS[exc.errno]
    text = exc.strerror or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]


class WriteError(FlowStudioError):
    """A file or folder that could not be written: a full disk, a read-only file system, no permission.

    The message names the path and the reason in words, and says whether the
    file that was there before is intact (atomic writes never leave half a
    file); :attr:`reason` holds the words alone.  Raised ``from`` the
    original :class:`OSError`, which is its ``__cause__``.
    """

    def __init__(self, message: str, path: str | os.PathLike | None = None, reason: str = ""):
        super().__init__(message)
        self.path, self.reason = path, reason

    @classmethod
    def of(cls, exc: OSError, path: str | os.PathLike, what: str = "write", previous: bool | None = None
           ) -> WriteError:
        """The error for ``exc`` while trying to ``what`` ``path``; ``previous``: whether a file was being replaced.

        Raise it ``from exc``.  ``previous=None`` adds nothing about an earlier file (e.g. for folders).
        """
        reason = reason_in_words(exc)
        kept = {True: " (the previous file is intact)", False: " (nothing was written)", None: ""}[previous]
        return cls(f"cannot {what} {os.fsdecode(path)}: {reason}{kept}", path, reason)

    def also(self, text: str) -> WriteError:
        """The same error with ``text`` (what was kept, what to do next) added; raise it ``from self.__cause__``."""
        return WriteError(f"{self}; {text}", self.path, self.reason)
