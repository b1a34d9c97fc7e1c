"""``junheng serve``: run the HTTP service (:mod:`junheng.serve`, docs/http.md).

    junheng serve [--host 127.0.0.1] [--port 8000] [--workers N] [--max-body-mb 50]
                  [--api-key-file F] [--queue N] [--time-limit SECONDS]

Needs the optional extra ``serve``; without it the command says so (in Chinese,
naming the extra) and exits 2. Runs until SIGTERM or Ctrl-C (exit 0).
"""

from __future__ import annotations

import argparse
from typing import Any

from junheng.cli._common import EXIT_INPUT, EXIT_OK, err_console


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为正整数，而不是 {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"应为正整数，而不是 {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为正数，而不是 {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"应为正数，而不是 {text!r}")
    return value


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "serve",
        help="运行 HTTP 服务 (run the HTTP service)",
        description=(
            "运行 junheng 的 HTTP 服务（接口说明见 /docs 和 /openapi.json）。需要可选依赖：\n"
            "pip install 'junheng[serve]'。SIGTERM 或 Ctrl-C 停止：先处理完进行中的请求。\n"
            "Run the HTTP service; stops on SIGTERM / Ctrl-C after the requests under way."
        ),
    )
    p.add_argument("--host", default="127.0.0.1", help="监听地址，默认 127.0.0.1 (bind address)")
    p.add_argument("--port", type=_positive_int, default=8000, help="端口，默认 8000")
    p.add_argument(
        "--workers", type=_positive_int, default=1, help="工作进程数，默认 1（每个进程一个引擎）"
    )
    p.add_argument(
        "--max-body-mb",
        type=_positive_float,
        default=50.0,
        metavar="MB",
        help="请求体上限（MiB），默认 50；超过返回 413",
    )
    p.add_argument(
        "--api-key-file",
        metavar="F",
        help="API 密钥文件（每行一个）：请求须带 Authorization: Bearer KEY 或 X-API-Key",
    )
    p.add_argument(
        "--queue",
        type=_positive_int,
        default=64,
        metavar="N",
        help="每个进程同时受理（处理中与排队）的数据请求上限，默认 64；超过返回 503",
    )
    p.add_argument(
        "--time-limit",
        type=_positive_float,
        default=120.0,
        metavar="SECONDS",
        help="每个请求的处理时限（秒），默认 120；超过返回 503",
    )
    p.set_defaults(handler=_cmd_serve)


def _cmd_serve(args: argparse.Namespace) -> int:
    from junheng.serve import EXTRA_MESSAGE, missing

    absent = missing()
    if absent:
        err_console.print(EXTRA_MESSAGE.format(names="、".join(absent)), markup=False)
        return EXIT_INPUT
    from junheng.serve.config import ServeConfig, read_api_keys
    from junheng.serve.server import port_free, serve

    if args.api_key_file:
        try:
            read_api_keys(args.api_key_file)
        except (OSError, ValueError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            err_console.print(f"无法读取 API 密钥文件 {args.api_key_file}：{why}", markup=False)
            return EXIT_INPUT
    problem = port_free(args.host, args.port)
    if problem:
        err_console.print(problem, markup=False)
        return EXIT_INPUT
    config = ServeConfig(
        host=args.host,
        port=args.port,
        workers=args.workers,
        max_body_bytes=int(args.max_body_mb * 1024 * 1024),
        api_key_file=args.api_key_file,
        queue=args.queue,
        time_limit=args.time_limit,
    )
    err_console.print(
        f"junheng serve：http://{args.host}:{args.port}（接口文档 /docs，OpenAPI /openapi.json），"
        f"{args.workers} 个工作进程，请求体上限 {args.max_body_mb:g} MiB"
        f"{'，需要 API 密钥' if args.api_key_file else ''}；SIGTERM 或 Ctrl-C 停止。",
        markup=False,
    )
    serve(config)
    return EXIT_OK
