"""The studio's pure state (no Qt, no torch): project JSON, PNG recipes, drops, autosave discovery, ETA."""

from __future__ import annotations

import json
import os

import pytest

from flowstudio.likelihood import LikelihoodSpec
from flowstudio.studio import autosave
from flowstudio.studio.drops import plan_drop
from flowstudio.studio.eta import EtaEstimator, format_duration, rough_duration
from flowstudio.studio.recipes import RecipeError, recipe_from_record
from flowstudio.studio.state import (FORMAT_VERSION, Document, EvidenceItem, EvidenceSet, PosteriorParams,
                                     ProjectError)


def sample_document() -> Document:
    a = EvidenceSet("sneakers", [EvidenceItem("/x/a.png", "ab12", bpd=3.1), EvidenceItem("/x/b.png", included=False)])
    b = EvidenceSet("bags", [EvidenceItem("/y/c.png", "cd34", unlikely=True, reason="far out")])
    return Document(sets=[a, b], current=b.uid, params=PosteriorParams(LikelihoodSpec(lam=0.3, covariance="diagonal"), seed=7),
                    model_path="/m/model.safetensors", model_sha256="f" * 64, device="cpu")


def test_project_json_round_trip_keeps_sets_params_model_and_current_set(tmp_path):
    doc = sample_document()
    back = Document.from_json(doc.to_json())
    assert [s.name for s in back.sets] == ["sneakers", "bags"] and back.current_set.name == "bags"
    assert back.params == doc.params and back.model_path == doc.model_path and back.device == "cpu"
    assert [i.to_dict() for i in back.sets[0].items] == [i.to_dict() for i in doc.sets[0].items]
    saved = json.loads(doc.to_json())
    assert saved["version"] == FORMAT_VERSION == 2
    assert saved["params"]["likelihood"] == {"lam": 0.3, "relative": True, "covariance": "diagonal", "floor": 0.01}


V1_PROJECT = """{
  "format": "flowstudio-project", "version": 1, "app_version": "0.1.0",
  "model": {"path": "/m/model.safetensors", "sha256": null}, "device": "auto",
  "params": {"lam": 0.3, "absolute": %s, "lam_abs": 6.0, "covariance": "diagonal", "floor": 0.02,
             "temperature": 0.6, "count": 9, "seed": 42, "seed_locked": true},
  "sets": [{"name": "shoes", "items": [{"path": "/x/a.png", "sha256": "ab12", "included": true}]}],
  "current_set": 0
}"""


@pytest.mark.parametrize("absolute, spec", [
    ("false", LikelihoodSpec(lam=0.3, relative=True, covariance="diagonal", floor=0.02)),
    ("true", LikelihoodSpec(lam=6.0, relative=False, covariance="diagonal", floor=0.02)),
])
def test_a_project_written_by_version_1_still_opens(absolute, spec):
    doc = Document.from_json(V1_PROJECT % absolute)
    assert doc.params == PosteriorParams(spec, temperature=0.6, count=9, seed=42, seed_locked=True)
    assert doc.current_set.name == "shoes" and doc.model_path == "/m/model.safetensors"
    assert Document.from_json(doc.to_json()).params == doc.params  # and is saved in the new form
    assert PosteriorParams.from_dict({"absolute": True}).likelihood == LikelihoodSpec(lam=4.0, relative=False)


def test_project_relative_paths_resolve_against_the_project_folder(tmp_path):
    data = sample_document().to_dict()
    data["sets"][0]["items"][0]["path"] = "images/a.png"
    (tmp_path / "p.flowstudio.json").write_text(json.dumps(data))
    assert Document.load(tmp_path / "p.flowstudio.json").sets[0].items[0].path == str(tmp_path / "images/a.png")


@pytest.mark.parametrize("text, message", [
    ("{", "not valid JSON"),
    ('{"format": "something else"}', "not a Flow Studio project"),
    ('{"format": "flowstudio-project", "version": 999}', "newer than this Flow Studio"),
    ('{"format": "flowstudio-project", "version": 1, "params": {"lam": -1}}', "damaged"),
    ('{"format": "flowstudio-project", "version": 2, "params": {"likelihood": {"relative": "yes"}}}', "damaged"),
])
def test_unreadable_projects_say_why(tmp_path, text, message):
    path = tmp_path / "bad.flowstudio.json"
    path.write_text(text)
    with pytest.raises(ProjectError, match=message):
        Document.load(path)


def test_params_validate_and_give_cli_seeds():
    p = PosteriorParams(seed=10, count=4)
    assert p.seeds == [10, 11, 12, 13]
    assert p.likelihood == LikelihoodSpec(lam=0.5, relative=True, covariance="isotropic", floor=0.01)
    assert p.with_changes(lam=2.0, relative=False).likelihood == LikelihoodSpec(lam=2.0, relative=False)
    changed = p.with_changes(covariance="diagonal", temperature=0.5)
    assert changed.likelihood.covariance == "diagonal" and changed.temperature == 0.5 and p.likelihood.lam == 0.5
    assert p.with_changes(likelihood=LikelihoodSpec(lam=3, relative=False)).likelihood.lam == 3.0
    with pytest.raises(ValueError):
        p.with_changes(covariance="full")
    with pytest.raises(TypeError):
        p.with_changes(lam_abs=2.0)  # the old second spelling of lambda is gone from the document


def test_recipes_read_cli_and_studio_records():
    record = {"kind": "posterior_samples", "lambda": 0.3, "lambda_relative": True, "covariance": "diagonal",
              "floor": 0.02, "temperature": 0.7, "seeds": [5, 6, 7, 8], "model": "m@1", "model_sha256": "ab",
              "evidence": [{"file": "a.png", "sha256": "11", "path": "/x/a.png"}, {"file": "b.png", "sha256": "22"}],
              "evidence_set": "shoes"}
    recipe = recipe_from_record(record)
    assert recipe.params == {"temperature": 0.7, "relative": True, "lam": 0.3, "covariance": "diagonal",
                             "floor": 0.02, "seed": 5, "count": 4}
    assert [e.path for e in recipe.evidence] == ["/x/a.png", None] and recipe.set_name == "shoes"
    absolute = recipe_from_record({"kind": "posterior_samples", "lambda": 6.0, "lambda_relative": False,
                                   "seeds": [3]})
    assert absolute.params == {"relative": False, "lam": 6.0, "seed": 3}
    assert recipe_from_record({"kind": "prior_samples", "seeds": [1, 2]}).evidence is None
    with pytest.raises(RecipeError, match="another tool"):
        recipe_from_record({"kind": "posterior_interpolation"})
    with pytest.raises(RecipeError, match="damaged"):
        recipe_from_record({"kind": "posterior_samples", "temperature": "hot"})


def test_recipes_read_the_likelihood_record_of_this_version():
    spec = LikelihoodSpec(lam=6.0, relative=False, covariance="diagonal", floor=0.05)
    recipe = recipe_from_record({"kind": "posterior_samples", "likelihood": spec.to_record(), "m": 8, "lam_abs": 6.0,
                                 "temperature": 0.5, "seeds": [9]})
    assert recipe.params == {"temperature": 0.5, **spec.to_record(), "seed": 9}
    assert PosteriorParams().with_changes(**recipe.params).likelihood == spec
    sweep = recipe_from_record({"kind": "lambda_sweep", "likelihood": {"covariance": "diagonal", "floor": 0.05},
                                "lambda_multiples": [0.1, 1.0], "seeds": [4, 5, 6]})
    assert sweep.params == {"covariance": "diagonal", "floor": 0.05, "seed": 4}  # its columns have their own lambda
    old_sweep = recipe_from_record({"kind": "lambda_sweep", "lambda_relative": True, "covariance": "isotropic",
                                    "lambda_multiples": [0.1, 1.0], "seeds": [4]})
    assert old_sweep.params == {"covariance": "isotropic", "seed": 4}
    with pytest.raises(RecipeError, match="damaged.*lambda must be positive"):
        recipe_from_record({"kind": "posterior_samples", "likelihood": {"lam": 0}})


def test_drop_plans(tmp_path):
    png, folder = tmp_path / "grid.png", tmp_path / "shoes"
    png.write_bytes(b"x")
    folder.mkdir()
    assert plan_drop([png]).maybe_recipe == png
    plan = plan_drop([tmp_path / "m.safetensors", folder, png, tmp_path / "a.jpg"])
    assert plan.model == tmp_path / "m.safetensors" and plan.folders == [folder]
    assert plan.files == [png, tmp_path / "a.jpg"] and plan.maybe_recipe is None


def test_drops_open_every_checkpoint_the_loader_opens(tmp_path):
    from flowstudio.loading import PEER_SUFFIXES

    for suffix in (".safetensors", *PEER_SUFFIXES, ".PT"):
        assert plan_drop([tmp_path / f"model{suffix}", tmp_path / "a.png"]).model == tmp_path / f"model{suffix}"
    assert plan_drop([tmp_path / "notes.txt"]).model is None


def test_autosave_files_of_gone_sessions_are_offered_newest_first(tmp_path):
    mine, other = autosave.AutosaveSession(tmp_path), autosave.AutosaveSession(tmp_path)
    doc = sample_document()
    mine.path.write_text(mine.text(doc, None))
    assert mine.orphans() == []  # our own file is never offered to us
    other.path.write_text(other.text(doc, "/p.flowstudio.json"))  # same pid, another session: gone
    dead = json.loads(other.text(Document(), None))
    dead.update(session="dead", pid=2**22 + 12345, saved_at=1.0)  # no such process
    (tmp_path / "dead.flowstudio.json").write_text(json.dumps(dead))
    alive = dict(dead, session="alive", pid=os.getppid())  # a running process's session is left alone
    (tmp_path / "alive.flowstudio.json").write_text(json.dumps(alive))
    (tmp_path / "junk.flowstudio.json").write_text("not json")
    found = mine.orphans()
    assert [r.path.name for r in found] == [other.path.name, "dead.flowstudio.json"]
    assert found[0].project_path == "/p.flowstudio.json" and found[0].document.sets[1].name == "bags"


def test_eta_from_recent_rate():
    clock = iter([0.0, 1.0, 2.0]).__next__
    eta = EtaEstimator(100, clock=clock)
    assert eta.remaining() is None
    eta.update(10)
    eta.update(20)
    assert eta.remaining() == pytest.approx(8.0)
    assert format_duration(8.0) == "0:08" and format_duration(3725) == "1:02:05" and format_duration(None) == ""


def test_rough_durations_for_planning():
    assert [rough_duration(s) for s in (12, 150, 5399, 5400, 9 * 3600 + 1800, 30 * 3600, 5 * 86400)] == [
        "under a minute", "about 2 min", "about 90 min", "about 1.5 h", "about 9.5 h", "about 30 h", "about 5 days"]
