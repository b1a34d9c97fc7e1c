"""The ``junheng`` command line: builds the parser and dispatches to subcommands.

Adding commands: put a module ``junheng.cli.<name>`` next to this one with a
function ``register(subparsers)`` that calls ``subparsers.add_parser(...)``
for each command and sets ``parser.set_defaults(handler=func)``, where
``func(args: argparse.Namespace) -> int`` returns the exit status; then list
``"<name>"`` in :data:`_COMMAND_MODULES`; nothing else is required (subcommand
parsers get the bilingual help option and formatter automatically). Handlers
may raise :class:`junheng.issues.InputError` (printed as the issue table,
exit 2); any other exception exits 3 with a short message (set
``JUNHENG_DEBUG=1`` for the traceback).

Exit status (CONTRACT.md): 0 success / every county passes; 1 some county does
not pass; 2 bad input or usage (argparse usage errors included), or an output
file that cannot be written (disk full, no permission, a path through a file);
3 internal error (a bug in junheng); 4 a plugin the ruleset needs failed (the
message names the plugin); 130 interrupted (Ctrl-C), 128 + signal for SIGTERM /
SIGHUP; 141 standard output closed by its reader (quiet). Reports are written
atomically, so an error or an interruption never leaves a half-written file.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading
import traceback
from collections.abc import Sequence

from junheng import __version__
from junheng.cli._common import (
    EXIT_BROKEN_PIPE,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_PLUGIN,
    UsageError,
    err_console,
    print_issues,
)
from junheng.discovery import PluginError
from junheng.issues import InputError

__all__ = ["HelpFormatter", "build_parser", "main"]

#: modules under junheng.cli that contribute subcommands, in help order
_COMMAND_MODULES: tuple[str, ...] = (
    "data",
    "evaluation",
    "rulesets",
    "explain",
    "plan",
    "compare",
    "plugins",
    "serve",
)


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse formatter with a bilingual usage prefix."""

    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
        if prefix is None:
            prefix = "用法 (usage): "
        return super().add_usage(usage, actions, groups, prefix)


def new_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Give ``parser`` Chinese section titles and a bilingual ``-h/--help``."""
    parser._positionals.title = "参数 (arguments)"
    parser._optionals.title = "选项 (options)"
    parser.add_argument(
        "-h", "--help", action="help", help="显示本帮助并退出 (show this help and exit)"
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The full ``junheng`` parser with every registered subcommand."""
    parser = new_parser(
        argparse.ArgumentParser(
            prog="junheng",
            description=(
                "均衡 junheng：县域义务教育均衡发展督导评估规则引擎。\n"
                "Rules engine for county compulsory-education balance inspections."
            ),
            epilog="退出码 (exit status): 0 通过/无错误, 1 未通过, 2 输入或用法错误, 3 内部错误, 4 插件出错",
            formatter_class=HelpFormatter,
            add_help=False,
        )
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"junheng {__version__}",
        help="显示版本号并退出 (show the version and exit)",
    )
    subparsers = parser.add_subparsers(
        title="命令 (commands)",
        dest="command",
        metavar="COMMAND",
        parser_class=_SubParser,
    )
    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"junheng.cli.{name}")
        module.register(subparsers)
    return parser


class _SubParser(argparse.ArgumentParser):
    """Subcommand parser: bilingual help option and formatter by default."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("formatter_class", HelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        new_parser(self)


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwinds like Ctrl-C, so no half-written file stays."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, frame: object) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def _signals_as_exceptions():
    """SIGTERM and SIGHUP handled like SIGINT while a command runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {sig: signal.signal(sig, _terminate) for sig in wanted}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (never raises on user data)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors (argparse exits 2)
        return exc.code if isinstance(exc.code, int) else EXIT_INPUT
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_INPUT
    try:
        with _signals_as_exceptions():
            return int(handler(args))
    except InputError as exc:
        print_issues(exc.issues, err_console)
        return EXIT_INPUT
    except UsageError as exc:
        err_console.print(str(exc), markup=False)
        return EXIT_INPUT
    except KeyboardInterrupt:
        err_console.print("已中断 (interrupted)；没有留下写了一半的文件。", markup=False)
        return EXIT_INTERRUPTED
    except Terminated as exc:
        name = signal.Signals(exc.signum).name
        err_console.print(f"已终止（收到 {name}）；没有留下写了一半的文件。", markup=False)
        return 128 + exc.signum
    except BrokenPipeError:  # the reader of standard output went away (| head): quiet
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except PluginError as exc:
        err_console.print(
            f"插件 {exc.plugin} 出错，评估已停止 (plugin failed): {exc.message}\n"
            f"请更新或卸载插件 {exc.plugin}；运行 junheng plugins 查看已安装的插件。",
            markup=False,
        )
        return EXIT_PLUGIN
    except Exception as exc:
        if os.environ.get("JUNHENG_DEBUG"):
            traceback.print_exc()
        err_console.print(
            f"内部错误 (internal error): {type(exc).__name__}: {exc}\n"
            "这是 junheng 的缺陷，不是数据的问题；设置 JUNHENG_DEBUG=1 可查看详细信息。",
            markup=False,
        )
        return EXIT_INTERNAL


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's final flush does not
    complain about the closed pipe."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
