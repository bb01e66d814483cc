"""``python -m flowstudio`` runs the command line.

``freeze_support`` comes first: in a frozen (PyInstaller-style) app, child
processes re-invoke the app's own executable, and this lets them start
properly instead of opening another copy of the app.

The process ends with ``os._exit`` once the command has returned and the
standard streams are flushed: every file a command writes is complete by
then (written atomically, fsynced and closed), and skipping the interpreter's
teardown of torch (a quarter to half a second) lets a cancelled training
process exit promptly, as :class:`flowstudio.training.runner.TrainingRunner`
expects.
"""

import multiprocessing
import os
import sys

multiprocessing.freeze_support()

from flowstudio.cli.main import main  # noqa: E402  (after freeze_support, on purpose)

status = main()
try:
    sys.stdout.flush()
    sys.stderr.flush()
finally:
    os._exit(status)
