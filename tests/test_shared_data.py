"""The one finder of the shared data folder: ``$SITEWATCH_DATA``, then beside the working
directory, then beside the clone; ``None`` when absent.

The clone rule is tested on copies of the module placed in generated layouts (a source tree
with ``pyproject.toml``, and a ``site-packages`` as an installed wheel has), so the real
``../shared/data`` of the machine running the tests never decides an outcome.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from sitewatch import shared_data
from sitewatch.errors import ConfigError
from sitewatch.shared_data import DATA_ENV, shared_data_root

ROOT = Path(__file__).resolve().parents[1]


def _module_at(package: Path) -> ModuleType:
    """A copy of :mod:`sitewatch.shared_data` loaded from ``package/shared_data.py``."""
    package.mkdir(parents=True)
    shutil.copy(shared_data.__file__, package / "shared_data.py")
    spec = importlib.util.spec_from_file_location(f"copy_{abs(hash(package))}", package / "shared_data.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _folder(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with no ``../shared/data`` and no ``$SITEWATCH_DATA``."""
    monkeypatch.delenv(DATA_ENV, raising=False)
    cwd = _folder(tmp_path / "nowhere" / "cwd")
    monkeypatch.chdir(cwd)
    return cwd


def test_the_environment_variable_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _folder(tmp_path / "my data")
    _folder(tmp_path / "shared" / "data")  # beside the working directory, passed over
    monkeypatch.chdir(_folder(tmp_path / "cwd"))
    monkeypatch.setenv(DATA_ENV, str(data))
    assert shared_data_root() == data.resolve()


def test_the_environment_variable_set_to_a_missing_folder_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _folder(tmp_path / "shared" / "data")  # a guess that must not replace the typo
    monkeypatch.chdir(_folder(tmp_path / "cwd"))
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "typo"))
    with pytest.raises(ConfigError, match=rf"{DATA_ENV}='.*typo' is not a folder; point it at"):
        shared_data_root()
    (tmp_path / "file").write_bytes(b"")
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "file"))
    with pytest.raises(ConfigError, match="is not a folder"):
        shared_data_root()


def test_the_environment_variable_is_not_left_for_a_guess_when_it_lacks_what_is_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _folder(tmp_path / "env")
    _folder(tmp_path / "shared" / "data" / "overhead")
    monkeypatch.chdir(_folder(tmp_path / "cwd"))
    monkeypatch.setenv(DATA_ENV, str(data))
    assert shared_data_root(needs="overhead") is None
    _folder(data / "overhead")
    assert shared_data_root(needs="overhead") == data.resolve()


def test_beside_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _folder(tmp_path / "shared" / "data")
    (data / "README.md").write_text("x", encoding="utf-8")
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.chdir(_folder(tmp_path / "clone"))
    assert shared_data_root() == data.resolve()
    assert shared_data_root(needs="README.md") == data.resolve()
    monkeypatch.setenv(DATA_ENV, "")  # set but empty counts as unset
    assert shared_data_root() == data.resolve()


def test_beside_the_clone_the_package_runs_from(tmp_path: Path, elsewhere: Path) -> None:
    clone = _folder(tmp_path / "clone")
    (clone / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
    module = _module_at(clone / "src" / "sitewatch")
    assert module.shared_data_root() is None
    data = _folder(tmp_path / "shared" / "data")
    assert module.shared_data_root() == data.resolve()


def test_a_guess_without_what_is_needed_is_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DATA_ENV, raising=False)
    clone = _folder(tmp_path / "clone")
    (clone / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
    module = _module_at(clone / "src" / "sitewatch")
    beside_clone = _folder(tmp_path / "shared" / "data" / "overhead" / "mvrsd").parents[1]
    beside_cwd = _folder(tmp_path / "other" / "shared" / "data" / "ground").parent
    monkeypatch.chdir(_folder(tmp_path / "other" / "cwd"))
    assert module.shared_data_root() == beside_cwd.resolve()
    assert module.shared_data_root(needs="overhead/mvrsd") == beside_clone.resolve()
    assert module.shared_data_root(needs="overhead/naip_dates") is None


def test_absent_is_none_for_an_installed_package(tmp_path: Path, elsewhere: Path) -> None:
    # A wheel's package sits in site-packages: no clone, so only the working directory counts,
    # even with a shared/data folder beside the site-packages' parents.
    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    module = _module_at(site / "sitewatch")
    _folder(site.parent / "shared" / "data")
    _folder(site.parents[1] / "shared" / "data")
    assert module.shared_data_root() is None
    assert module.shared_data_root(needs="overhead") is None


def test_this_checkout_looks_beside_itself() -> None:
    # The tests run the package from this checkout's src (pytest's pythonpath).
    assert shared_data._beside_clone() == [ROOT.parent / "shared" / "data"]


@pytest.mark.parametrize("needs", ["/etc", "../data", "overhead/../../x"])
def test_needs_stays_inside_the_folder(needs: str, elsewhere: Path) -> None:
    with pytest.raises(ConfigError, match="give a path inside the shared data folder"):
        shared_data_root(needs=needs)


def test_a_tool_gets_what_it_needs_or_one_line_saying_where_to_put_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sitewatch.shared_data import shared_data_path

    (tmp_path / "overhead" / "mvrsd").mkdir(parents=True)
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    assert shared_data_path("overhead/mvrsd", what="the MVRSD tiles") == (
        tmp_path / "overhead" / "mvrsd").resolve()
    with pytest.raises(ConfigError) as caught:
        shared_data_path("overhead/naip_dates", what="the NAIP tiles")
    assert str(caught.value) == ("the NAIP tiles (overhead/naip_dates): not under $SITEWATCH_DATA or "
                                 "../shared/data; set SITEWATCH_DATA to the shared data folder")


def test_a_tool_takes_the_file_it_was_given_or_the_shared_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sitewatch.shared_data import given_or_shared_file

    (tmp_path / "overhead").mkdir()
    (tmp_path / "overhead" / "scene.tif").write_bytes(b"x")
    given = tmp_path / "mine.tif"
    given.write_bytes(b"x")
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    assert given_or_shared_file(given, "overhead/scene.tif", what="the scene") == given
    assert given_or_shared_file(None, "overhead/scene.tif", what="the scene") == (
        tmp_path / "overhead" / "scene.tif").resolve()
    with pytest.raises(ConfigError, match=r"^the scene .*missing\.tif not found$"):
        given_or_shared_file(tmp_path / "missing.tif", "overhead/scene.tif", what="the scene")
    with pytest.raises(ConfigError, match=r"^the scene \(overhead/other\.tif\): not under"):
        given_or_shared_file(None, "overhead/other.tif", what="the scene")
