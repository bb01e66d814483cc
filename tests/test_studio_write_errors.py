"""The studio on a folder that refuses writes (read-only, or a full disk): a message in the window, nothing lost.

Real exports, saves and autosaves on the real event loop into a real
read-only mount or a full tmpfs (see :mod:`tests.write_failures`).
"""

from __future__ import annotations

from tests.studio_support import messages, studio_home, wait_for_files, window  # noqa: F401  (fixtures)
from tests.write_failures import refusing  # noqa: F401  (fixture)

from flowstudio.studio.autosave import AutosaveSession

PREVIOUS = b"the file that was there before\n"


def test_exports_saves_and_autosaves_that_cannot_be_written_say_so_and_keep_the_previous_files(
        qtbot, refusing, window):
    studio = window.studio
    grid, cell, project = (refusing / "grid.png", refusing / "cell.png", refusing / "work.flowstudio.json")
    for path in (grid, cell, project):
        path.write_bytes(PREVIOUS)
    studio.projects.autosave = AutosaveSession(refusing.path)  # this session's recovery file goes there too
    studio.projects.autosave.path.write_bytes(PREVIOUS)
    refusing.refuse()
    before = refusing.listing()
    errors_before = len(messages(window, "error"))

    assert studio.export("grid", grid) is not None
    assert studio.export("cell", cell, None, 0) is not None
    assert studio.projects.save(project) is not None
    wait_for_files(qtbot, window)
    shown = [(m.title, m.text) for m in messages(window, "error")[errors_before:]]
    reason = f"{refusing.reason} (the previous file is intact)"
    assert shown == [("Could not save grid.png", f"cannot write {grid}: {reason}"),
                     ("Could not save cell.png", f"cannot write {cell}: {reason}"),
                     ("Could not save work.flowstudio.json", f"cannot write {project}: {reason}")]
    assert studio.projects.path != project  # the project still counts as not saved there

    studio.edit.change_params(seed=4321)  # something to autosave
    for _ in range(3):
        studio.projects.autosave_now()
        wait_for_files(qtbot, window)
    warnings = [m for m in messages(window, "warning") if m.title == "Autosave failed"]
    assert len(warnings) == 1  # said once, while it keeps trying
    assert warnings[0].text.startswith(f"cannot write {studio.projects.autosave.path}: {reason}. Your work is "
                                       "still open")
    assert studio.projects.autosave_now() is not None  # still due: the next tick tries again
    wait_for_files(qtbot, window)
    assert refusing.listing() == before
