"""Unsafe writes (issue 12): devices, the input as output, signals, stdout short writes, names.

Every test here failed before its fix. The CLI runs in-process where a signal or a
path is enough, and as the installed script in a subprocess where the behaviour is
the process's own (an unbuffered standard output on a full disk, a reader that quits).
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import junheng.atomic
from junheng.cli import main
from junheng.cli._common import console, err_console
from junheng.cli.data import copy_sample

RULESET = "national.quality.2017"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(console, "width", 300)
    monkeypatch.setattr(err_console, "width", 300)
    copy_sample(tmp_path / "in")
    return tmp_path


def _evaluate(*extra: str) -> int:
    return main(
        ["evaluate", "in/schools.json", "--county", "in/county.json", "--ruleset", RULESET, *extra]
    )


def _listing(d: Path) -> set[str]:
    return {str(p.relative_to(d)) for p in d.rglob("*")}


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("junheng")
    return [str(script)] if script.exists() else [sys.executable, "-m", "junheng"]


# -- 3. devices are written in place, never renamed over ------------------------------------


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="no /dev/null")
def test_output_to_dev_null_keeps_the_device(folder, capsys):
    assert _evaluate("--output", "/dev/null") == 1  # the sample county fails some criteria
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert not any(p.name.endswith(".tmp") for p in Path("/dev").iterdir())


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_output_to_dev_full_says_the_disk_is_full_and_keeps_the_device(folder, capsys):
    assert _evaluate("--output", "/dev/full") == 2
    assert "磁盘空间不足" in capsys.readouterr().err
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_output_to_a_fifo_is_written_through_it(folder, capsys):
    fifo = folder / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    assert _evaluate("--output", str(fifo)) == 1
    out, _ = reader.communicate(timeout=60)
    assert out.startswith(b"{") and b'"counties"' in out
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


# -- 11. the output can never be one of the inputs ------------------------------------------


@pytest.mark.parametrize("how", ["same path", "symlink", "hard link", "other spelling"])
def test_output_onto_an_input_is_refused(folder, capsys, how):
    data = (folder / "in/schools.json").read_bytes()
    target = {
        "same path": "in/schools.json",
        "other spelling": "in/../in/./schools.json",
    }.get(how, "alias.json")
    if how == "symlink":
        (folder / "alias.json").symlink_to(folder / "in/schools.json")
    elif how == "hard link":
        os.link(folder / "in/schools.json", folder / "alias.json")
    before = _listing(folder)
    assert _evaluate("--output", target) == 2
    err = capsys.readouterr().err
    assert "就是输入文件" in err and "Traceback" not in err
    assert (folder / "in/schools.json").read_bytes() == data
    assert _listing(folder) == before


def test_output_onto_the_county_file_is_refused(folder, capsys):
    data = (folder / "in/county.json").read_bytes()
    assert _evaluate("--output", "in/county.json") == 2
    assert (folder / "in/county.json").read_bytes() == data


# -- 9. SIGTERM / SIGHUP mid-write, and what a SIGKILL leaves --------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_termination_signal_mid_write_leaves_no_temporary_file(
    folder, capsys, monkeypatch, signum
):
    def killed(fd):  # the report is in the temporary file, not yet renamed
        os.kill(os.getpid(), signum)
        time.sleep(5)  # the handler raises before this ends

    monkeypatch.setattr(junheng.atomic.os, "fsync", killed)
    before = _listing(folder)
    assert _evaluate("--output", "report.json") == 128 + signum
    err = capsys.readouterr().err
    assert "已终止" in err and signal.Signals(signum).name in err
    assert _listing(folder) == before
    # the previous handlers are back once the command has returned
    assert signal.getsignal(signum) in (signal.SIG_DFL, signal.SIG_IGN, signal.default_int_handler)


def test_sigterm_to_the_process_while_it_writes(tmp_path):
    """The real thing: the installed script gets SIGTERM from outside while writing."""
    copy_sample(tmp_path / "in")
    script = tmp_path / "slow.py"
    # a slow file system: every fsync takes a while, so the signal lands mid-write
    script.write_text(
        "import sys, time, os, junheng.atomic as a\n"
        "real = os.fsync\n"
        "def slow(fd):\n"
        "    print('writing', flush=True, file=sys.stderr)\n"
        "    time.sleep(30)\n"
        "a.os.fsync = slow\n"
        "from junheng.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n",
        encoding="utf-8",
    )
    args = ["evaluate", "in/schools.json", "--county", "in/county.json", "--ruleset", RULESET]
    proc = subprocess.Popen(
        [sys.executable, str(script), *args, "--output", "report.json"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in proc.stderr:
        if "writing" in line:
            break
    proc.send_signal(signal.SIGTERM)
    err = proc.stderr.read()
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    assert "已终止" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "slow.py"]


def test_stale_temporary_files_of_a_killed_run_are_removed(folder, capsys):
    old = folder / ".report.json.0badf00d.tmp"
    fresh = folder / ".report.json.1234abcd.tmp"  # perhaps a run writing right now
    foreign = folder / ".report.json.notours.tmp"
    for path in (old, fresh, foreign):
        path.write_text("{half", encoding="utf-8")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    os.utime(foreign, (an_hour_ago, an_hour_ago))
    assert _evaluate("--output", "report.json") == 1
    assert not old.exists()
    assert fresh.exists() and foreign.exists()


# -- 10. standard output: every byte written, a quit reader is quiet ------------------------


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("unbuffered", ["1", ""])
def test_a_full_disk_behind_stdout_is_exit_2_with_the_reason(tmp_path, unbuffered):
    copy_sample(tmp_path / "in")
    env = {**os.environ, "PYTHONUNBUFFERED": unbuffered, "PYTHONIOENCODING": "utf-8"}
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [
                *_cli(),
                "evaluate",
                "in/schools.json",
                "--county",
                "in/county.json",
                "--ruleset",
                RULESET,
            ],
            cwd=tmp_path,
            env=env,
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=120,
        )
    err = done.stderr.decode("utf-8")
    assert done.returncode == 2, err
    assert "磁盘空间不足" in err and "Traceback" not in err


def test_short_writes_to_stdout_are_written_on(monkeypatch):
    """A raw standard output may take part of a write; the rest must follow, not vanish."""
    from junheng.cli import _common

    taken = []

    def short_write(fd, view):
        chunk = bytes(view[:7])
        taken.append(chunk)
        return len(chunk)

    monkeypatch.setattr(_common.os, "write", short_write)
    data = "报告".encode() * 100
    _common.write_stdout(data)
    assert b"".join(taken) == data


@pytest.mark.parametrize("unbuffered", ["1", ""])
def test_a_reader_quitting_early_is_a_quiet_exit_141(tmp_path, unbuffered):
    copy_sample(tmp_path / "in")
    env = {**os.environ, "PYTHONUNBUFFERED": unbuffered, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen(
        [
            *_cli(),
            "evaluate",
            "in/schools.json",
            "--county",
            "in/county.json",
            "--ruleset",
            RULESET,
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout.read(100).startswith(b"{")  # | head -c 100
    proc.stdout.close()
    err = proc.stderr.read().decode("utf-8")
    assert proc.wait(timeout=120) == 141
    assert "Traceback" not in err and "Exception ignored" not in err and "内部错误" not in err


def test_the_plan_is_refused_onto_an_input(folder, capsys):
    """``junheng plan`` writes through the same checked output as every command."""
    data = (folder / "in/county.json").read_bytes()
    plan = ["plan", "in/schools.json", "--county", "in/county.json", "--ruleset", RULESET]
    before = _listing(folder)
    assert main([*plan, "--output", "in/../in/county.json"]) == 2
    err = capsys.readouterr().err
    assert "就是输入文件" in err and "Traceback" not in err
    assert (folder / "in/county.json").read_bytes() == data
    assert _listing(folder) == before


# -- low: names, folders, "-", mismatched extensions, template messages ----------------------


def test_a_legal_245_byte_file_name_is_written(folder, capsys):
    name = "县" * 80 + ".json"  # 80 × 3 + 5 = 245 bytes; the old temp name added 14
    assert len(name.encode()) == 245
    assert _evaluate("--output", name) == 1
    assert (folder / name).stat().st_size > 1000
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_output_into_a_folder_writes_the_default_name(folder, capsys):
    assert _evaluate("--output", "reports/", "--format", "md") == 1
    assert (folder / "reports").is_dir()
    assert (folder / "reports/report.md").read_text("utf-8").startswith("#")
    (folder / "existing").mkdir()
    assert _evaluate("--output", "existing") == 1
    assert (folder / "existing/report.json").stat().st_size > 1000


def test_output_dash_is_standard_output(folder, capsys):
    assert _evaluate("--output", "-") == 1
    assert capsys.readouterr().out.startswith("{")
    assert not (folder / "-").exists()


def test_output_dash_for_a_binary_format_is_refused_in_chinese(folder, capsys):
    assert _evaluate("--output", "-", "--format", "xlsx") == 2
    assert "标准输出只用于 JSON" in capsys.readouterr().err


def test_a_format_its_file_name_contradicts_is_pointed_out(folder, capsys):
    assert _evaluate("--format", "xlsx", "--output", "x.json") == 1
    err = capsys.readouterr().err
    assert "扩展名不是 .xlsx" in err
    assert (folder / "x.json").read_bytes()[:2] == b"PK"  # what was asked for, as said


def test_template_output_errors_are_chinese(folder, capsys):
    (folder / "afile").write_text("x")
    assert main(["template", "--output", "afile/t.xlsx"]) == 2
    err = capsys.readouterr().err
    assert "无法写入" in err and "Errno" not in err and "Not a directory" not in err


def test_template_to_standard_output(folder, capsysbinary):
    assert main(["template", "--format", "csv", "--output", "-"]) == 0
    out = capsysbinary.readouterr().out
    assert "学校代码".encode() in out or b"id" in out
    assert not (folder / "-").exists()
