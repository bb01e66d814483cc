"""The history of results, headless: bounded on disk, stars kept, read back; cell enlargement and batch names."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from flowstudio.imaging import save_animation
from flowstudio.studio.history import HistoryEntry, HistoryStore, differences, prune_histories
from flowstudio.studio.state import Document, PosteriorParams
from flowstudio.studio.upscale import Upscale, cell_file_names, safe_stem, upscale


def entry(seed: int, **kw) -> HistoryEntry:
    return HistoryEntry(params=PosteriorParams(seed=seed, count=4), set_name="sneakers",
                        evidence=(("/x/a.png", "aa"), ("/x/b.png", "bb")), model_id="m@1", model_sha256="s", **kw)


def images(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (4, 1, 28, 28), dtype=np.uint8)


def files(folder) -> set[str]:
    return {p.name for p in folder.glob("*.npz")}


def test_history_is_bounded_on_disk_and_reads_back_with_its_parameters(tmp_path):
    store = HistoryStore(tmp_path / "h", limit=3)
    added = []
    for seed in range(5):
        added.append(entry(seed))
        store.add(added[-1], images(seed)).apply()
    assert [e.params.seed for e in store.entries] == [4, 3, 2]  # newest first, the two oldest dropped
    assert files(tmp_path / "h") == {f"{e.uid}.npz" for e in added[2:]}
    again = HistoryStore.read(tmp_path / "h", limit=3)
    assert [e.to_dict() for e in again.entries] == [e.to_dict() for e in store.entries]
    assert np.array_equal(again.images[added[4].uid], images(4))
    assert again.entries[0].params == PosteriorParams(seed=4, count=4) and again.entries[0].m == 2


def test_starred_grids_are_never_evicted_and_unstarring_makes_them_ordinary(tmp_path):
    store = HistoryStore(tmp_path / "h", limit=2)
    first = entry(0)
    store.add(first, images(0)).apply()
    store.set_starred(first.uid, True).apply()
    for seed in range(1, 6):
        store.add(entry(seed), images(seed)).apply()
    assert [e.params.seed for e in store.entries] == [5, 4, 0] and store.entries[-1].starred
    assert len(files(tmp_path / "h")) == 3
    assert HistoryStore.read(tmp_path / "h").find(first.uid).starred
    store.set_starred(first.uid, False).apply()  # now the oldest beyond the limit: dropped
    assert store.find(first.uid) is None and f"{first.uid}.npz" not in files(tmp_path / "h")


def test_the_same_result_twice_in_a_row_is_one_entry_and_removing_deletes_its_file(tmp_path):
    store = HistoryStore(tmp_path / "h")
    assert store.add(entry(1), images(1)) is not None
    assert store.add(entry(1, starred=True), images(1)) is None  # same parameters, images and model
    store.add(entry(2), images(2)).apply()
    uid = store.entries[0].uid
    store.remove(uid).apply()
    assert [e.params.seed for e in store.entries] == [1] and f"{uid}.npz" not in files(tmp_path / "h")


def test_a_damaged_history_reads_as_what_is_left(tmp_path):
    store = HistoryStore(tmp_path / "h")
    for seed in range(3):
        store.add(entry(seed), images(seed)).apply()
    (tmp_path / "h" / f"{store.entries[1].uid}.npz").write_bytes(b"broken")
    assert [e.params.seed for e in HistoryStore.read(tmp_path / "h").entries] == [2, 0]
    (tmp_path / "h" / "history.json").write_text("{not json")
    assert HistoryStore.read(tmp_path / "h").entries == []


def test_old_histories_are_pruned_but_starred_grids_stay(tmp_path):
    root = tmp_path / "history"
    for name, star in (("old-plain", False), ("old-starred", True), ("current", False)):
        store = HistoryStore(root / name)
        for seed in range(3):
            store.add(entry(seed), images(seed)).apply()
        if star:
            store.set_starred(store.entries[0].uid, True).apply()
    prune_histories(root, keep="current", projects=1)
    assert not (root / "old-plain").exists() and len(HistoryStore.read(root / "current").entries) == 3
    starred = HistoryStore.read(root / "old-starred")
    assert [e.starred for e in starred.entries] == [True] and len(files(root / "old-starred")) == 1


def test_differences_say_what_changed_in_words():
    a = entry(0)
    b = HistoryEntry(params=PosteriorParams(seed=9, count=4).with_changes(lam=0.3), set_name="bags",
                     evidence=a.evidence, model_id="m@1", model_sha256="s")
    assert differences(a, b) == ["examples sneakers → bags", "λ 0.5 m → 0.3 m", "seed 0 → 9"]
    assert differences(a, a) == []


def test_documents_name_their_history_and_older_projects_get_one_from_their_path(tmp_path):
    doc = Document()
    again = Document.from_json(doc.to_json())
    assert again.history_id == doc.history_id
    old = tmp_path / "old.flowstudio.json"
    data = doc.to_dict()
    del data["history"]
    old.write_text(json.dumps(data))
    assert Document.load(old).history_id == Document.load(old).history_id != doc.history_id


def test_upscale_is_exact_nearest_or_smooth_and_checked():
    cell = images(3)[0]
    sharp = np.asarray(upscale(cell, Upscale(3)))
    assert sharp.shape == (84, 84) and np.array_equal(sharp, cell[0].repeat(3, 0).repeat(3, 1))
    smooth = np.asarray(upscale(cell, Upscale(3, smooth=True)))
    assert smooth.shape == (84, 84) and not np.array_equal(smooth, sharp)
    colour = np.asarray(upscale(np.zeros((3, 32, 32), np.uint8), Upscale(8)))
    assert colour.shape == (256, 256, 3)
    with pytest.raises(ValueError, match="1x to 8x"):
        Upscale(9)


def test_batch_names_follow_the_grid_and_never_overwrite(tmp_path):
    (tmp_path / "my-set-01-seed7.png").write_bytes(b"kept")
    names = cell_file_names(tmp_path, "my set/..", [7, 8])
    assert [p.name for p in names] == ["my-set-01-seed7-2.png", "my-set-02-seed8.png"]
    assert safe_stem("  ") == "samples" and len(cell_file_names(tmp_path, "x", range(120))[0].stem) == len("x-001-seed0")


def test_animations_are_enlarged_to_a_watchable_size(tmp_path):
    frames = [Image.new("L", (30, 200), v) for v in (0, 128, 255)]
    save_animation(frames, tmp_path / "a.gif")
    with Image.open(tmp_path / "a.gif") as gif:
        assert gif.size == (270, 1800) and gif.n_frames == 4  # 9x: the short side reaches 256
    save_animation([Image.new("L", (300, 400))] * 2, tmp_path / "b.gif")
    assert Image.open(tmp_path / "b.gif").size == (300, 400)
