"""Run a training in a separate process, and follow and steer it from a GUI (no Qt here).

Training runs in its own process so that a crash, an out-of-memory kill or a
stuck GPU call can never take the application down with it, and so that the
GUI thread never waits on PyTorch.  :class:`TrainingRunner` starts::

    python -m flowstudio train ARGS --run-dir RUN_DIR --json

(or, in a frozen app, ``<app executable> train ...``: the app re-invokes
itself, see ``flowstudio/__main__.py``), then

* a reader thread turns each JSON line on the child's stdout into an event
  dict (see :mod:`flowstudio.training.events`), available through
  :meth:`~TrainingRunner.events` (an iterator), :meth:`~TrainingRunner.poll`
  and an optional callback (called on the reader thread: hand the event to
  the GUI thread, e.g. with a queued Qt signal);
* :meth:`~TrainingRunner.pause`, :meth:`~TrainingRunner.resume` and
  :meth:`~TrainingRunner.cancel` write ``pause``, ``resume`` and ``cancel``
  to the child's stdin; the child checks between steps (and inside long
  evaluations), and on cancel writes a checkpoint and exits;
* when the child ends without a final event of its own (a crash, a kill,
  running out of memory), the runner adds an ``error`` event carrying the
  tail of the child's stderr; it always ends the stream with an ``exited``
  event carrying the return code.  Nothing here blocks forever.
"""

from __future__ import annotations

import collections
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowstudio.registry import DEFAULT_FAMILY
from flowstudio.training.events import FINAL_KINDS, make_event

EventCallback = Callable[[dict[str, Any]], None]

TERMINATE_WAIT_S = 0.5
"""After a cancel times out: how long a terminated child gets before it is killed."""

STDERR_LINES = 40
"""Lines of the child's stderr kept for error reports."""

_END = object()


@dataclass
class TrainRequest:
    """The common ``flowstudio train`` options as fields; anything else goes in ``extra``."""

    data: str
    family: str = DEFAULT_FAMILY
    preset: str = "small"
    arch: dict[str, Any] = field(default_factory=dict)
    steps: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    image_size: int | None = None
    channels: int | None = None
    device: str = "auto"
    name: str | None = None
    extra: list[str] = field(default_factory=list)

    def to_args(self) -> list[str]:
        args = ["--data", self.data, "--family", self.family, "--preset", self.preset, "--device", self.device]
        for key, value in self.arch.items():
            args += ["--arch", f"{key}={json.dumps(value) if not isinstance(value, str) else value}"]
        options = {"--steps": self.steps, "--batch-size": self.batch_size, "--lr": self.lr,
                   "--image-size": self.image_size, "--channels": self.channels, "--name": self.name}
        for option, value in options.items():
            if value is not None:
                args += [option, str(value)]
        return args + list(self.extra)


WINDOWS_CLI = "flowstudio-cli.exe"
"""On Windows the bundle has a console executable for the command line beside the windowed one
(``packaging/flowstudio.spec``): a child started from it has working standard streams for sure."""


def flowstudio_command() -> list[str]:
    """How to run the ``flowstudio`` command line as a child process: ``python -m flowstudio``, or the
    frozen app's own executable (a PyInstaller bundle dispatches its arguments to the command line)."""
    if not getattr(sys, "frozen", False):
        return [sys.executable, "-m", "flowstudio"]
    console = Path(sys.executable).with_name(WINDOWS_CLI)
    return [str(console)] if sys.platform == "win32" and console.is_file() else [sys.executable]


class TrainingRunner:
    """One ``flowstudio train`` child process writing into ``run_dir``."""

    def __init__(self, args: list[str] | TrainRequest, run_dir: str | os.PathLike,
                 on_event: EventCallback | None = None, env: dict[str, str] | None = None):
        self.args = args.to_args() if isinstance(args, TrainRequest) else list(args)
        self.run_dir = Path(run_dir)
        self.on_event = on_event
        self.env = env
        self._resuming = "--resume" in self.args
        self._queue: queue.Queue = queue.Queue()
        self._process: subprocess.Popen | None = None
        self._reader: threading.Thread | None = None
        self._stderr: threading.Thread | None = None
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        self._final: dict[str, Any] | None = None
        self._terminated = False
        self._step = 0

    @classmethod
    def resume_run(cls, run_dir: str | os.PathLike, on_event: EventCallback | None = None,
                   env: dict[str, str] | None = None) -> TrainingRunner:
        """Continue a cancelled or crashed run in a new process (``--resume``); returns the started runner."""
        runner = cls(["--resume", str(run_dir)], run_dir, on_event, env)
        runner.start()
        return runner

    # -- the process ---------------------------------------------------------------
    def command(self) -> list[str]:
        """The child's command line."""
        where = [] if self._resuming else ["--run-dir", str(self.run_dir)]
        return [*flowstudio_command(), "train", *self.args, *where, "--json"]

    def start(self) -> None:
        if self._process is not None:
            raise RuntimeError("this runner was already started; create a new one (or use resume_run)")
        env = None if self.env is None else {**os.environ, **self.env}
        self._process = subprocess.Popen(
            self.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            encoding="utf-8", errors="replace", bufsize=1, env=env,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
        self._stderr = threading.Thread(target=self._read_stderr, name="flowstudio-runner-stderr", daemon=True)
        self._reader = threading.Thread(target=self._read_stdout, name="flowstudio-runner-events", daemon=True)
        self._stderr.start()
        self._reader.start()

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def returncode(self) -> int | None:
        """The child's exit status (negative: killed by that signal); ``None`` while it runs."""
        return None if self._process is None else self._process.poll()

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for the child to end and its events to be read; the return code, or ``None`` on timeout."""
        if self._process is None:
            return None
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._reader.join(timeout)
        return self._process.returncode

    # -- steering ------------------------------------------------------------------
    def pause(self) -> None:
        """Ask the child to pause after its current step (a ``paused`` event follows)."""
        self._send("pause")

    def resume(self) -> None:
        """Continue a paused child (a ``resumed`` event follows)."""
        self._send("resume")

    def cancel(self, timeout: float = 1.0) -> bool:
        """Stop the child, which writes a checkpoint and exits; True if it did so within ``timeout`` seconds.

        Otherwise it is terminated (then killed), a ``warning`` event says so,
        and the stream ends with a ``cancelled`` event for the last checkpoint
        on disk.
        """
        if not self.is_running:
            return True
        self._send("cancel")
        if self.wait(timeout) is not None:
            return True
        self._terminated = True
        self._deliver(make_event("warning", message=f"the training process did not stop within {timeout:g} s; "
                                                    "terminated it (the last checkpoint is kept)"))
        self._process.terminate()
        if self.wait(TERMINATE_WAIT_S) is None:
            self._process.kill()
            self.wait(TERMINATE_WAIT_S)
        return False

    def _send(self, command: str) -> None:
        if not self.is_running:
            return
        try:
            self._process.stdin.write(command + "\n")
            self._process.stdin.flush()
        except (OSError, ValueError):  # the child is exiting and closed its end
            pass

    # -- events --------------------------------------------------------------------
    def events(self) -> Iterator[dict[str, Any]]:
        """Events as they arrive, until the child has exited (the last one is ``exited``)."""
        while True:
            item = self._queue.get()
            if item is _END:
                self._queue.put(_END)  # later calls end at once too
                return
            yield item

    def poll(self, timeout: float | None = 0.0) -> dict[str, Any] | None:
        """The next event, waiting up to ``timeout`` seconds (``None``: no limit); ``None`` if there is none."""
        try:
            item = self._queue.get(timeout=timeout) if timeout != 0 else self._queue.get_nowait()
        except queue.Empty:
            return None
        if item is _END:
            self._queue.put(_END)
            return None
        return item

    def _deliver(self, event: dict[str, Any]) -> None:
        if event.get("event") in FINAL_KINDS:
            self._final = event
        if "step" in event:
            self._step = event["step"]
        self._queue.put(event)
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:  # a faulty callback must not stop the event stream
                traceback.print_exc()

    def _read_stdout(self) -> None:
        for line in self._process.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                self._stderr_tail.append(line.rstrip("\n"))  # stray output: keep it for error reports
                continue
            if isinstance(event, dict) and "event" in event:
                self._deliver(event)
        returncode = self._process.wait()
        self._stderr.join(5.0)
        if self._final is None:
            self._deliver(self._ending_event(returncode))
        self._deliver(make_event("exited", returncode=returncode))
        self._queue.put(_END)

    def _read_stderr(self) -> None:
        for line in self._process.stderr:
            self._stderr_tail.append(line.rstrip("\n"))

    def _ending_event(self, returncode: int) -> dict[str, Any]:
        """The final event a child that died without one would have sent."""
        if self._terminated:
            checkpoint = self.run_dir / "checkpoint.safetensors"
            return make_event("cancelled", step=self._step,
                              checkpoint=str(checkpoint) if checkpoint.is_file() else None)
        if returncode < 0:
            name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else -returncode
            how = f"was killed by signal {name}"
            if -returncode == getattr(signal, "SIGKILL", 9):
                how += " (if nobody killed it, the system probably ran out of memory)"
        else:
            how = f"exited with status {returncode}"
        tail = "\n".join(self._stderr_tail)
        message = f"the training process {how}" + (f"; its last output:\n{tail}" if tail else "")
        return make_event("error", message=message, returncode=returncode, stderr_tail=tail)
