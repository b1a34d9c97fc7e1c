"""Fresh virtual environments for tests that pip-install a plugin distribution.

The venv sees the *test interpreter's* packages (the junheng under test, its
dependencies, pip/setuptools/wheel) through a ``.pth`` file — not the base
Python's, which may hold another junheng or none — and nothing is downloaded:
``pip install --no-build-isolation --no-deps`` with ``PIP_NO_INDEX``.
"""

from __future__ import annotations

import importlib.util
import os
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

__all__ = ["Venv", "explain"]


def explain(proc: subprocess.CompletedProcess) -> str:
    return (
        f"$ {' '.join(map(str, proc.args))}\nexit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    )


class Venv:
    """A virtual environment in ``root / "venv"`` (skips the test where none can be made)."""

    def __init__(self, root: Path):
        self.root = root
        env_dir = root / "venv"
        # The test interpreter's pip is visible through the .pth below; only without
        # one does the venv need its own (ensurepip, bundled, offline).
        has_pip = importlib.util.find_spec("pip") is not None
        try:
            venv.EnvBuilder(system_site_packages=False, with_pip=not has_pip, clear=True).create(
                env_dir
            )
        except Exception as exc:  # no venv/ensurepip module, read-only tmp, ...
            pytest.skip(f"cannot create a virtual environment here: {exc!r}")
        bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
        self.python = bindir / ("python.exe" if os.name == "nt" else "python")
        if not self.python.exists():
            pytest.skip(f"virtual environment has no interpreter at {self.python}")
        # addsitedir also runs the parent's .pth files (editable installs)
        site_dirs = [d for d in site.getsitepackages() if Path(d).is_dir()]
        venv_site = Path(
            subprocess.run(
                [
                    str(self.python),
                    "-c",
                    "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
        (venv_site / "_junheng_test_parent.pth").write_text(
            "".join(f"import site; site.addsitedir({d!r})\n" for d in site_dirs), "utf-8"
        )
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        env.update(
            VIRTUAL_ENV=str(env_dir),
            PATH=str(bindir) + os.pathsep + env.get("PATH", ""),
            PIP_NO_INDEX="1",
            PIP_DISABLE_PIP_VERSION_CHECK="1",
            PYTHONIOENCODING="utf-8",
            PYTHONDONTWRITEBYTECODE="1",
            COLUMNS="250",  # rich tables: no truncated ids
        )
        self.env = env

    def run(self, cmd: list[str], timeout: int = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            cmd,
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
        )

    def install(self, src: Path) -> None:
        done = self.run(
            [
                str(self.python),
                "-m",
                "pip",
                "install",
                "--no-build-isolation",
                "--no-deps",
                str(src),
            ]
        )
        assert done.returncode == 0, (
            "pip could not build/install the distribution (the build needs setuptools>=61 and "
            "wheel importable by the test interpreter: pip install -e '.[test]')\n" + explain(done)
        )
        seen = self.run([str(self.python), "-c", "import junheng; print(junheng.__file__)"])
        assert Path(seen.stdout.strip()) == Path(sys.modules["junheng"].__file__), (
            "the venv must use the junheng under test\n" + explain(seen)
        )

    def junheng(self, *args: str) -> subprocess.CompletedProcess:
        """The venv's junheng: its interpreter running the junheng package it sees."""
        return self.run([str(self.python), "-m", "junheng", *map(str, args)])
