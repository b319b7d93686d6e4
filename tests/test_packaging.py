"""`envs/` and `actors/` install inside the package, never as top-level modules."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _package_dirs() -> set[str]:
    """Every importable package of the source tree, under its installed name."""
    mapping = {
        "agentrm_ray": REPO / "agentrm_ray",
        "agentrm_ray.envs": REPO / "envs",
        "agentrm_ray.actors": REPO / "actors",
        "agentrm_ray.configs": REPO / "configs",
    }
    names = set()
    for prefix, root in mapping.items():
        for init in root.rglob("__init__.py"):
            rel = init.parent.relative_to(root).parts
            names.add(".".join((prefix, *rel)))
    return names


def test_pyproject_lists_every_package() -> None:
    import tomllib

    listed = set(
        tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    assert _package_dirs() - listed == set(), "packages missing from pyproject.toml"


def test_editable_install_imports_from_outside_the_repo(tmp_path: Path) -> None:
    code = (
        "import importlib.util, agentrm_ray.envs, agentrm_ray.actors, agentrm_ray.configs;"
        "print(agentrm_ray.envs.__file__);"
        "spec = importlib.util.find_spec('envs');"
        "print(spec.origin if spec else None)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert Path(out[0]).parent == REPO / "envs"
    assert out[1] == "None" or not out[1].startswith(str(REPO))


@pytest.mark.integration
def test_built_wheel_maps_the_folders_into_the_package(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
    )
    wheel = next(tmp_path.glob("agentrm_ray-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert "envs" not in tops and "actors" not in tops and "configs" not in tops
    assert "agentrm_ray/envs/base.py" in names and "agentrm_ray/actors/__init__.py" in names
    assert "agentrm_ray/configs/default.yaml" in names

    # A regular (non-editable) install of that wheel imports from a directory outside the repo.
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    code = (
        "import agentrm_ray, agentrm_ray.envs, agentrm_ray.actors;"
        "from agentrm_ray.config import load_config; load_config();"
        "print(agentrm_ray.envs.__file__)"
    )
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith(str(target))
