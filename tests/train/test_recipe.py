"""The training recipe: a strict TOML file read into a frozen value, and the shipped one."""

from __future__ import annotations

import dataclasses
import json
import shlex
from pathlib import Path

import pytest

from sitewatch.detect import DEFAULT_MODEL, card_path_for
from sitewatch.errors import ConfigError
from sitewatch.train import GroundRole, LabelFormat, TrainingRecipe, read_recipe

REPO = Path(__file__).resolve().parents[2]
SHIPPED = card_path_for(DEFAULT_MODEL).with_name(f"{DEFAULT_MODEL}.recipe.toml")


def _write(folder: Path, text: str) -> Path:
    path = folder / "r.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_empty_recipe_is_the_defaults(tmp_path: Path) -> None:
    assert read_recipe(_write(tmp_path, "")) == TrainingRecipe()


def test_relative_paths_are_relative_to_the_recipe_unless_a_root_is_given(tmp_path: Path) -> None:
    text = ('[data]\nimages = "img"\nlabels = "/abs/labels"\ngsd_m = 0.12\n'
            '[ground]\nnegative = ["g.tif@0.5"]\n')  # fmt: skip
    recipe = read_recipe(_write(tmp_path, text))
    assert recipe.images_dir == tmp_path.resolve() / "img"
    assert recipe.labels_dir == Path("/abs/labels")
    (ground,) = recipe.negatives
    assert ground.path == tmp_path.resolve() / "g.tif" and ground.role is GroundRole.NEGATIVE
    assert read_recipe(tmp_path / "r.toml", root=Path("/data")).images_dir == Path("/data/img")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[traning]\nepochs = 3\n", r"unknown section \[traning\]; valid sections: \[civilian\], \[data\]"),
        ("[training]\nepoch = 3\n", r"unknown \[training\] key 'epoch'; valid: epochs, imgsz"),
        ("epochs = 3\n", r"unknown top-level key 'epochs'; valid: name, teacher"),
        ("[training]\nepochs = \"8\"\n", r"\[training\] epochs must be an integer, got '8'"),
        ("[training]\nepochs = 8.5\n", r"\[training\] epochs must be an integer"),
        ("[mining]\nlabelled = 1\n", r"\[mining\] labelled must be true or false"),
        ("[data]\nformat = \"coco\"\n", r"\[data\] format must be one of voc, yolo, dota"),
        ("[data]\nholdout = \"a,b\"\n", r"\[data\] holdout must be a list of strings"),
        ("[data]\nimages = \"i\"\nlabels = \"l\"\n", r"images needs \[data\] labels and \[data\] gsd_m"),
        ("[layouts]\nfolder = \"l\"\n", r"\[layouts\] folder needs \[layouts\] gsd_m"),
        ("[training]\nbatch = 0\n", r"batch must be >= 1, got 0"),
        ("[training]\nscale_jitter = 0.8\n", r"scale_jitter must be 0 to 0.5 .*got 0.8"),
        ("[ground]\npaste = [\"depot.tif\"]\n", "PATH@GSD"),
        ("[training\nepochs = 3\n", "cannot read recipe .*fix the TOML"),
    ],
)
def test_a_bad_recipe_is_refused_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        read_recipe(_write(tmp_path, text))
    assert "r.toml" in str(info.value)


def test_a_missing_recipe_says_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"recipe '.*nope\.toml' not found; pass --recipe"):
        read_recipe(tmp_path / "nope.toml")


def test_the_request_carries_every_setting(tmp_path: Path) -> None:
    text = """
name = "m"
[data]
images = "i"
labels = "l"
format = "yolo"
class_names = ["car", "tank"]
gsd_m = 0.2
holdout = ["a", "b"]
[layouts]
folder = "lay"
image_px = 320
[synthesis]
tiles = 12
gsd_m = 0.25
colour_jitter = 0.2
layout_turn_deg = 30
[training]
epochs = 5
imgsz = 256
batch = 4
device = "0"
threads = 3
seed = 7
scale_jitter = 0.3
[mining]
epochs = 2
threshold = 0.3
labelled = true
"""
    request = read_recipe(_write(tmp_path, text)).request(base=Path("b.pt"), out_dir=tmp_path)
    assert (request.name, request.label_format, request.class_names) == (
        "m", LabelFormat.YOLO, ("car", "tank"))
    assert (request.data_gsd_m, request.holdout, request.n_tiles) == (0.2, ("a", "b"), 12)
    assert request.synth.layout_side_m == pytest.approx(320 * 0.2)
    assert (request.synth.gsd_m, request.synth.cell_px, request.synth.colour_jitter,
            request.synth.layout_turn_deg) == (0.25, 128, 0.2, 30.0)
    s = request.settings
    assert (s.epochs, s.imgsz, s.batch, s.device, s.threads, s.seed) == (5, 256, 4, "0", 3, 7)
    assert s.scale_jitter == s.ultralytics_args()["scale"] == 0.3
    assert (request.seed, request.mine_epochs, request.mine_threshold, request.mine_labelled) == (
        7, 2, 0.3, True)


def _recorded_command_as_recipe(command: str) -> dict[str, object]:
    """The options of the shipped model's recorded command, by the recipe keys they became."""
    words = shlex.split(command.replace("<untarred mvrsd/all_labels_yolo.tar.xz>", "LAYOUTS"))
    flags: dict[str, list[str]] = {}
    for flag, value in zip(words[2::2], words[3::2], strict=True):
        flags.setdefault(flag, []).append(value)
    one = {k: v[0] for k, v in flags.items()}
    return {
        "images_dir": REPO / one["--data"], "labels_dir": REPO / one["--labels"],
        "extra_labels_dir": REPO / one["--extra-labels"], "label_format": one["--format"],
        "data_gsd_m": float(one["--data-gsd"]), "gsd_m": float(one["--gsd"]),
        "holdout": () if one["--holdout"] == "none" else tuple(one["--holdout"].split(",")),
        "grounds": [str(REPO / g) for g in flags["--ground"]],
        "negatives": [str(REPO / g) for g in flags["--negative"]],
        "tiles": int(one["--tiles"]), "epochs": int(one["--epochs"]),
        "mine_epochs": int(one["--mine-epochs"]), "threads": int(one["--threads"]),
        "name": one["--name"],
    }  # fmt: skip


def test_the_shipped_recipe_is_the_recorded_run() -> None:
    """The recipe beside the default model's card says what its training record says."""
    record = json.loads(card_path_for(DEFAULT_MODEL).with_name(
        f"{DEFAULT_MODEL}.training.json").read_text(encoding="utf-8"))
    recipe = read_recipe(SHIPPED, root=REPO)
    spec = lambda g: f"{g.path}@{g.gsd_m}" + (  # noqa: E731
        ":" + ",".join(map(str, g.window_px)) if g.window_px else "")
    as_read = dataclasses.asdict(recipe) | {
        "grounds": [spec(g) for g in recipe.grounds], "negatives": [spec(g) for g in recipe.negatives]}
    for key, value in _recorded_command_as_recipe(record["command"]).items():
        assert as_read[key] == value, key
    # and the record of what ran: settings, synthesis, mix, grounds
    request = recipe.request(base=Path("base.pt"), out_dir=Path("out"))
    ran = {k: v for k, v in record["settings"].items() if k != "ultralytics_args"}
    settings = dataclasses.asdict(request.settings)
    assert settings.pop("scale_jitter") == 0.1  # added after the run, at its then-fixed value
    assert settings == ran
    assert request.settings.ultralytics_args() == record["settings"]["ultralytics_args"]
    synth = dataclasses.asdict(request.synth)
    assert synth.pop("layout_turn_deg") == 0.0  # added after the run, at its then-fixed value
    assert synth == record["recipe"]["synth"]
    mix = dataclasses.asdict(request.mix)
    assert mix.pop("civilian_cell_prob") == 0.0  # added after the run: no civilian cells then
    assert mix == record["recipe"]["mix"]
    assert request.civilian is None
    assert request.n_tiles == record["recipe"]["synthetic_tiles"]
    assert request.mine_epochs == record["recipe"]["stage1_epochs"]
    assert request.data_gsd_m == record["data_gsd_m"]
    assert request.label_format.value == record["labels"]["format"]
    assert [(Path(g["path"]).name, g["gsd_m"], g["window_px"] and tuple(g["window_px"]), g["role"])
            for g in record["recipe"]["grounds"]] == [
        (g.path.name, g.gsd_m, g.window_px, g.role.value) for g in request.grounds]
    assert request.recipe_file is None


def test_the_civilian_section_makes_civilian_ground_and_its_share_of_cells(tmp_path: Path) -> None:
    text = """
[data]
images = "i"
labels = "l"
gsd_m = 0.12
[civilian]
images = "jek"
format = "yolo"
class_names = ["car", "truck", "cyclist"]
vehicle_names = ["car", "truck"]
include = ["DJI*"]
gsd_m = 0.06
teacher = "dota-yolov8n-obb"
teacher_gsd_m = 0.1
score = 0.5
ignore_score = 0.2
cell_prob = 0.25
distil = ["scenes/a.png@0.3:0,0,500,1000", "b.jpg@0.6"]
"""
    recipe = read_recipe(_write(tmp_path, text))
    civ = recipe.civilian
    assert civ.images_dir == tmp_path.resolve() / "jek" and civ.labels_dir is None
    assert (civ.label_format, civ.class_names, civ.vehicle_names, civ.include, civ.gsd_m) == (
        LabelFormat.YOLO, ("car", "truck", "cyclist"), ("car", "truck"), ("DJI*",), 0.06)
    assert (civ.teacher, civ.teacher_gsd_m, civ.score, civ.ignore_score) == (
        "dota-yolov8n-obb", 0.1, 0.5, 0.2)
    a, b = civ.distil
    assert (a.path, a.gsd_m, a.window_px) == (tmp_path.resolve() / "scenes/a.png", 0.3,
                                              (0, 0, 500, 1000))
    assert (b.path.name, b.gsd_m, b.window_px) == ("b.jpg", 0.6, None)
    request = recipe.request(base=Path("b.pt"), out_dir=tmp_path)
    assert request.civilian == civ and request.mix.civilian_cell_prob == 0.25
    assert request.mix.real_cell_prob == 0.3  # the rest of the mix as before
    plain = read_recipe(_write(tmp_path, '[data]\nimages = "i"\nlabels = "l"\ngsd_m = 0.12\n'))
    assert plain.request(base=Path("b.pt"), out_dir=tmp_path).civilian is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[civilian]\nscore_min = 0.3\n", r"unknown \[civilian\] key 'score_min'; valid: images"),
        ("[civilian]\ncell_prob = 0.2\n", r"cell_prob > 0 needs civilian images or distil"),
        ("[civilian]\ndistil = [\"a.png@0.3\"]\n", r"they need cell_prob > 0"),
        ("[civilian]\ndistil = [\"a.png\"]\ncell_prob = 0.2\n", r"\[civilian\] distil: .*PATH@GSD"),
        ("[civilian]\nimages = \"j\"\ncell_prob = 0.2\n", r"needs \[civilian\] gsd_m"),
        ("[civilian]\nimages = \"j\"\ngsd_m = 0.06\ncell_prob = 0.2\n", r"needs \[civilian\] class_names"),
        ("[civilian]\ndistil = [\"a.png@0.3\"]\ncell_prob = 0.7\n", r"civilian_cell_prob must be <= 1"),
        ("[civilian]\nformat = \"dota\"\nimages = \"j\"\ngsd_m = 0.1\n", r"format must be yolo or voc"),
        ("[civilian]\nscore = 0.05\n", r"0 < ignore_score < score < 1"),
    ],
)
def test_a_bad_civilian_section_is_refused_naming_the_file(tmp_path: Path, text: str,
                                                           message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        read_recipe(_write(tmp_path, text))
    assert "r.toml" in str(info.value)
