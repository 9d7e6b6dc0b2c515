"""The package as a user installs it: an sdist, a wheel built from it, and the main job run from
that wheel in a fresh virtual environment (not the editable install the other tests use).

The build runs without network (``--no-isolation``: setuptools, wheel and build come with the
``test`` extra). The fresh environment gets sitewatch from the wheel alone; its dependencies are
borrowed from the test environment's site-packages through a ``.pth`` line, which adds that folder
to ``sys.path`` without running its editable-install hooks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "sitewatch"
EXPORT_FORMATS = {"geojson": "geojson", "kml": "kml", "kmz": "kmz", "csv": "csv", "coco": "json",
                  "gpkg": "gpkg"}


def _run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _package_files() -> set[str]:
    """Every file of the source package, as a path inside a wheel (``sitewatch/...``)."""
    return {
        path.relative_to(PACKAGE.parent).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(sdist, wheel built from that sdist), from a clean copy of the source tree."""
    tmp = tmp_path_factory.mktemp("dist")
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    out = tmp / "out"
    _run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(out),
          str(source)], cwd=tmp)
    (sdist,) = out.glob("sitewatch-*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp / "unpacked", filter="data")
    (unpacked,) = (tmp / "unpacked").iterdir()
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out),
          str(unpacked)], cwd=tmp)
    (wheel,) = out.glob("sitewatch-*.whl")
    return sdist, wheel


def test_wheel_holds_every_file_of_the_package(dists: tuple[Path, Path]) -> None:
    _, wheel = dists
    with zipfile.ZipFile(wheel) as archive:
        held = {name for name in archive.namelist() if name.startswith("sitewatch/")}
    missing = sorted(_package_files() - held)
    assert not missing, f"the wheel leaves out {missing}: add their pattern to package-data"
    assert "sitewatch/report/templates/report.html.j2" in held


def test_sdist_holds_every_file_of_the_package(dists: tuple[Path, Path]) -> None:
    sdist, _ = dists
    with tarfile.open(sdist) as archive:
        held = {name.split("/src/", 1)[1] for name in archive.getnames() if "/src/sitewatch/" in name}
    missing = sorted(_package_files() - held)
    assert not missing, f"the sdist leaves out {missing}"


def test_main_job_runs_from_the_installed_wheel(dists: tuple[Path, Path], tmp_path: Path) -> None:
    """demo, report --pdf, every export, replay and verify, from the wheel in a fresh venv."""
    _, wheel = dists
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
          "--quiet", str(wheel)], cwd=tmp_path)
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site_packages = Path(_run([str(python), "-c", purelib], cwd=tmp_path).strip())
    (site_packages / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    where = _run([str(python), "-c", "import sitewatch; print(sitewatch.__file__)"], cwd=tmp_path, env=env)
    assert Path(where.strip()).is_relative_to(site_packages), f"sitewatch imported from {where}"

    sitewatch = str(venv / "bin" / "sitewatch")
    case = tmp_path / "case"
    _run([sitewatch, "demo", "--out", str(case)], cwd=tmp_path, env=env)
    _run([sitewatch, "report", str(case), "--pdf"], cwd=tmp_path, env=env)
    assert (case / "derived" / "report.html").stat().st_size > 10_000
    assert (case / "derived" / "report.pdf").read_bytes().startswith(b"%PDF")
    for name, suffix in EXPORT_FORMATS.items():
        out = tmp_path / f"export.{suffix}"
        _run([sitewatch, "export", str(case), "--format", name, "--out", str(out)], cwd=tmp_path, env=env)
        assert out.stat().st_size > 0, name
    _run([sitewatch, "replay", str(case)], cwd=tmp_path, env=env)
    _run([sitewatch, "verify", str(case)], cwd=tmp_path, env=env)
