"""The error classes that mean "the user can fix this" (no torch, no Qt).

Front ends (the command line, the studio) show these as one plain line; any
other exception is a bug and keeps its traceback.  :class:`UserInputError`
subclasses :class:`ValueError` so that code which already catches
``ValueError`` around a validation keeps working, but front ends catch
:class:`FlowStudioError`, never ``ValueError`` itself.
"""

from __future__ import annotations


class FlowStudioError(Exception):
    """Base of every error whose message is meant for the user, as it is."""


class UserInputError(FlowStudioError, ValueError):
    """A setting, option or value outside what is allowed; the message names it and the allowed range."""


class ConfigError(UserInputError):
    """A model configuration (typed config or its stored JSON) that cannot describe a model."""
