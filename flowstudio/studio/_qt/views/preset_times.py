"""Measured training speed of each size preset, for the Train panel, before a run starts.

The measuring is the command line's own: ``flowstudio train --data D
--family F --device X --estimate --json`` in a child process (a
``QProcess``, read as its lines arrive).  A child, rather than a worker
thread, because the training itself runs in one: the measurement then sees
the same torch threads, device and data as the run will, and the window's
threads never slow it down (or it them).  The latest request wins (a running
child is stopped for a new one); seconds per step are kept per (data,
family, device) for the session, since another family or data set means
other numbers and the machine's load may change from one session to the next.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QObject, QProcess, Signal

from flowstudio.training.runner import flowstudio_command

Key = tuple[str, str, str]
"""(data, family, device): what the measurement depends on."""


class PresetTimes(QObject):
    """Seconds per optimisation step of each preset (:attr:`step_s`), measured in a child process."""

    measured = Signal(object)  # Key: one more preset's time arrived
    failed = Signal(object, str)  # Key, the reason
    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.step_s: dict[Key, dict[str, float]] = {}
        self.complete: set[Key] = set()
        self.errors: dict[Key, str] = {}
        self.key: Key | None = None
        self._process: QProcess | None = None
        self._pending = b""

    @property
    def busy(self) -> bool:
        return self._process is not None

    def request(self, data: str, family: str, device: str) -> None:
        """Measure the presets for this choice, unless already done; stops a measurement of another one."""
        key = (data, family, device)
        if key in self.complete or (key == self.key and self.busy):
            return
        self.stop()
        self.key, self._pending = key, b""
        self.errors.pop(key, None)
        self.step_s[key] = {}
        process = QProcess(self)
        process.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        process.readyReadStandardOutput.connect(lambda: self._read(process, key))
        process.finished.connect(lambda *_: self._finished(process, key))
        head, *rest = flowstudio_command()
        process.start(head, [*rest, "train", "--data", data, "--family", family, "--device", device,
                             "--estimate", "--json"])
        self._process = process
        self.busyChanged.emit(True)

    def stop(self) -> None:
        """Stop a running measurement (what it measured so far is kept)."""
        process, self._process = self._process, None
        if process is not None:
            process.kill()  # its finished signal is ignored: it is no longer the current process
            process.waitForFinished(2000)
            process.deleteLater()
            self.busyChanged.emit(False)

    def shutdown(self, timeout_ms: int = 0) -> bool:
        self.stop()
        return True

    def _read(self, process: QProcess, key: Key) -> None:
        self._pending += bytes(process.readAllStandardOutput().data())
        *lines, self._pending = self._pending.split(b"\n")
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "estimate":
                self.step_s.setdefault(key, {})[event["preset"]] = float(event["step_s"])
                self.measured.emit(key)
            elif event.get("event") == "error":
                self.errors[key] = str(event.get("message", ""))

    def _finished(self, process: QProcess, key: Key) -> None:
        if process is not self._process:
            return
        self._read(process, key)
        self._process = None
        process.deleteLater()
        if process.exitStatus() == QProcess.ExitStatus.NormalExit and process.exitCode() == 0:
            self.complete.add(key)
        else:
            tail = bytes(process.readAllStandardError().data()).decode("utf-8", "replace").strip().splitlines()
            self.errors.setdefault(key, tail[-1] if tail else f"the measuring process ended with {process.exitCode()}")
            self.failed.emit(key, self.errors[key])
        self.busyChanged.emit(False)
