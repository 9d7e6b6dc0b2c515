"""Tests of ``sitewatch train``'s argument handling (training itself needs Ultralytics)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from sitewatch.case.training import _export_pseudo, _packaged_base, _teacher
from sitewatch.case.training import _recipe as recipe_of
from sitewatch.cli import train
from sitewatch.errors import ConfigError, ModelError
from sitewatch.train import TrainingRecipe


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sitewatch train")
    train.add_arguments(parser)
    return parser


def _built(args: argparse.Namespace) -> TrainingRecipe:
    """The recipe ``sitewatch train`` builds from its command line."""
    return recipe_of(args.recipe, args.data_root, train.overrides(args),
                     from_cases=args.from_reviews is not None or args.self_train is not None)


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        _parser().parse_args(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--recipe", "--data-root", "--from-reviews", "--self-train", "--base", "--out",
                   "--epochs", "--tiles"):
        assert option in out
    assert "--holdout" not in out and "--imgsz" not in out  # those live in the recipe
    assert train.HELP


def _recipe(folder: Path, text: str = "") -> str:
    """A recipe training on ``folder`` as labelled tiles at 0.12 m, plus ``text``."""
    path = folder / "recipe.toml"
    path.write_text(f'[data]\nimages = "."\nlabels = "."\ngsd_m = 0.12\n{text}', encoding="utf-8")
    return str(path)


def test_command_line_overrides_win_over_the_recipe(tmp_path: Path) -> None:
    args = _parser().parse_args(
        ["--recipe", _recipe(tmp_path, "[training]\nepochs = 9\nseed = 3\n[synthesis]\ntiles = 40\n"),
         "--epochs", "4", "--name", "n", "--scale-jitter", "0.3",
         "--base", "x.pt", "--out", "o"])  # fmt: skip
    recipe = _built(args)
    assert (recipe.epochs, recipe.tiles, recipe.seed, recipe.name) == (4, 40, 3, "n")
    assert recipe.scale_jitter == 0.3
    assert recipe.images_dir == tmp_path.resolve()


def test_data_root_needs_a_recipe(tmp_path: Path) -> None:
    args = _parser().parse_args(["--data-root", str(tmp_path), "--from-reviews", "c",
                                 "--base", "x.pt", "--out", "o"])
    with pytest.raises(ConfigError, match=r"--data-root .* give --recipe"):
        _built(args)


def test_missing_base_weights_fail_before_anything_heavy(tmp_path: Path) -> None:
    args = _parser().parse_args(
        ["--recipe", _recipe(tmp_path, 'holdout = ["a", "b"]\n'),
         "--base", str(tmp_path / "nope.pt"), "--out", str(tmp_path / "o")]
    )  # fmt: skip
    assert _built(args).holdout == ("a", "b")
    with pytest.raises(ModelError, match=r"nope\.pt' not found"):
        train.run(args)


def test_wrong_base_hash_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "fake.pt"
    fake.write_bytes(b"not a checkpoint")
    args = _parser().parse_args(
        ["--recipe", _recipe(tmp_path), "--base", str(fake), "--out", str(tmp_path / "o")]
    )  # fmt: skip
    with pytest.raises(ModelError, match="expected fa6e4cd2"):
        train.run(args)


def test_bad_ground_spec_and_imgsz(tmp_path: Path) -> None:
    args = _parser().parse_args(
        ["--recipe", _recipe(tmp_path, '[ground]\npaste = ["depot.tif"]\n'), "--base", "x.pt",
         "--out", str(tmp_path)]
    )  # fmt: skip
    with pytest.raises(ConfigError, match=r"recipe\.toml'.*PATH@GSD"):
        train.run(args)
    args.recipe = Path(_recipe(tmp_path, "[training]\nimgsz = 500\n"))
    with pytest.raises(ConfigError, match="imgsz a multiple of 32"):
        train.run(args)


def test_a_source_to_train_on_is_required(tmp_path: Path) -> None:
    args = _parser().parse_args(["--base", "x.pt", "--out", str(tmp_path / "o")])
    with pytest.raises(ConfigError, match="nothing to train on"):
        train.run(args)
    (tmp_path / "r.toml").write_text('[data]\nimages = "."\nlabels = "."\n', encoding="utf-8")
    args = _parser().parse_args(["--recipe", str(tmp_path / "r.toml"), "--base", "x.pt", "--out", "o"])
    with pytest.raises(ConfigError, match=r"\[data\] gsd_m"):
        train.run(args)


def test_an_existing_model_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "m.onnx").write_bytes(b"old model")
    args = _parser().parse_args(["--from-reviews", str(tmp_path), "--base", "x.pt", "--name", "m",
                                 "--out", str(tmp_path)])
    with pytest.raises(ConfigError, match="never replaced"):
        train.run(args)
    assert (tmp_path / "m.onnx").read_bytes() == b"old model"


def test_a_trained_model_as_base_is_checked_against_its_card(tmp_path: Path) -> None:
    from sitewatch.digest import sha256_file
    from sitewatch.train.card import expected_base_sha256
    from sitewatch.train.ultralytics_run import BASE_SHA256

    pt = tmp_path / "prev.pt"
    pt.write_bytes(b"weights of an earlier fine-tune")
    assert expected_base_sha256(pt) == BASE_SHA256  # no card: must be the DOTA checkpoint
    (tmp_path / "prev.json").write_text(
        f'{{"source_file": "prev.pt", "source_sha256": "{sha256_file(pt)}"}}', encoding="utf-8")
    assert expected_base_sha256(pt) == sha256_file(pt)
    (tmp_path / "prev.json").write_text('{"source_file": "other.pt"}', encoding="utf-8")
    assert expected_base_sha256(pt) == BASE_SHA256


def test_a_wrong_base_fails_before_the_case_is_touched(tmp_path: Path) -> None:
    from sitewatch.cli.main import main

    case = tmp_path / "case"
    assert main(["case", "init", str(case)]) == 0
    audit = (case / "audit.jsonl").read_bytes()
    fake = tmp_path / "fake.pt"
    fake.write_bytes(b"not a checkpoint")
    args = _parser().parse_args(["--from-reviews", str(case), "--base", str(fake),
                                 "--out", str(tmp_path / "o")])
    with pytest.raises(ModelError, match="expected fa6e4cd2"):
        train.run(args)
    assert (case / "audit.jsonl").read_bytes() == audit
    assert not (tmp_path / "o" / "reviewed").exists()


def test_self_training_needs_a_teacher_before_anything_is_read(tmp_path: Path) -> None:
    args = _parser().parse_args(["--self-train", str(tmp_path / "case"), "--base", "x.pt",
                                 "--out", str(tmp_path / "o")])
    with pytest.raises(ConfigError, match=r'--self-train needs a teacher.*teacher = "MODEL" in the'):
        train.run(args)
    assert not (tmp_path / "o").exists()


def test_self_training_says_what_the_teacher_labelled(tmp_path: Path) -> None:
    from sitewatch.detect.registry import DEFAULT_MODEL
    from tests.review.casefixture import make_case

    store = make_case(tmp_path, vehicles=(2, 3))
    out = _export_pseudo(store.root, tmp_path / "pseudo", DEFAULT_MODEL, skip_reviewed=True)
    assert out.startswith(f"self-training: 2 scenes labelled by {DEFAULT_MODEL}: ")
    assert '"export-pseudo-labels"' in (store.root / "audit.jsonl").read_text().splitlines()[-1]


def test_a_model_trained_from_a_sitewatch_model_keeps_its_score(tmp_path: Path) -> None:
    from sitewatch.detect.modelcard import load_card
    from sitewatch.detect.registry import DEFAULT_MODEL, card_path_for
    from sitewatch.detect.torch_backend import torch_weights_path
    from sitewatch.train.card import inherited_score, inherited_training_data, write_model_card
    from sitewatch.train.dataset import TRAIN_CLASSES

    shipped = load_card(card_path_for(DEFAULT_MODEL))
    score = inherited_score(torch_weights_path(shipped))
    assert score is not None
    assert score[0] == shipped.score_threshold == 0.15
    assert score[1].startswith(f"inherited from the base model {DEFAULT_MODEL}'s card")
    (tmp_path / "dota.pt").write_bytes(b"no card beside it")
    assert inherited_score(tmp_path / "dota.pt") is None

    card, _ = write_model_card(
        tmp_path / "out", name="adapted", onnx_path=shipped.onnx_path,
        pt_path=torch_weights_path(shipped), classes=TRAIN_CLASSES, input_px=512, gsd_m=0.3,
        gsd_note="-", source="-", exporter="-", training={}, score=score,
        training_data=inherited_training_data(torch_weights_path(shipped), "adapted"))  # fmt: skip
    assert load_card(card).score_threshold == 0.15
    # its weights carry the base model's training data on, and the run's own data is pointed to
    data = load_card(card).training_data
    assert data[:-1] == shipped.training_data
    assert data[-1].startswith("Fine-tuning data: what the sitewatch train run that made adapted")
    assert "(adapted.training.json); terms: those its sources state" in data[-1]
    assert inherited_training_data(tmp_path / "dota.pt", "m") == [
        inherited_training_data(torch_weights_path(shipped), "m")[-1]]


def test_a_packaged_model_name_is_a_base(tmp_path: Path) -> None:
    from sitewatch.detect.registry import DEFAULT_MODEL

    pt = _packaged_base(Path(DEFAULT_MODEL))
    assert pt.is_file() and pt.name == f"{DEFAULT_MODEL}.pt"
    assert _teacher(TrainingRecipe(), pt) == str(pt.with_suffix(".json"))
    assert _teacher(TrainingRecipe(teacher="m"), pt) == "m"
    assert _packaged_base(tmp_path / "mine.pt") == tmp_path / "mine.pt"
