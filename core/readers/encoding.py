"""Which encoding a text file (CSV, JSON) is in — and refusing to guess wrong.

Accepted: UTF-16 with a BOM, UTF-8 (with or without BOM), and GB18030 (what Chinese
Excel exports as "CSV"). A wrong guess is a silently wrong report: a Big5 file
(Taiwan, Hong Kong, Macau) decodes as GB18030 without an error — 第一實驗小學 becomes
材龟喷厩 — and so does, often, a UTF-8 file with one stray byte. So:

* a file that is UTF-8 but for a few bytes is refused naming the rows of those bytes;
* text decoded as GB18030 must look like Chinese text: at least
  :data:`PLAUSIBLE_SHARE` of its non-ASCII characters are in GB2312 (the 6,763 common
  simplified characters and the usual punctuation: every school name in the
  national statistics is); otherwise the file is refused, naming Big5 or Shift-JIS
  when it reads cleanly in one of them.

Every refusal is an ``encoding`` issue and says how to fix it (save as "CSV UTF-8").
"""

from __future__ import annotations

import codecs
import re

from .source import ReadContext

__all__ = ["PLAUSIBLE_SHARE", "decode_text"]

#: share of non-ASCII characters of a GB18030 reading that must be GB2312 characters
PLAUSIBLE_SHARE = 0.8
#: a UTF-8 file with at most this many undecodable bytes is "UTF-8 with stray bytes"
MAX_STRAY_BYTES = 20
#: characters looked at to judge a reading (enough for any county; bounded for a nation)
SAMPLE_CHARS = 200_000
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ASCII = re.compile(r"[\x00-\x7f]+")
_SAVE_AS = "请在 Excel 中“另存为”CSV UTF-8（逗号分隔）或 .xlsx 后重试。"
_NAMES = {"big5": "Big5（繁体中文）", "shift_jis": "Shift-JIS（日文）"}


def decode_text(data: bytes, ctx: ReadContext) -> str | None:
    """The file's characters, or None after an ``encoding`` issue in ``ctx``."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    stray = _stray_bytes(data)
    if stray is not None:
        lines = "、".join(f"第 {n} 行" for n in stray[:5]) + (" 等" if len(stray) > 5 else "")
        ctx.error(
            "encoding",
            f"文件是 UTF-8 编码，但{lines}有无法识别的字节（可能是复制粘贴带入的乱码）；"
            "请检查并重新输入这些行的文字，再保存为 UTF-8。",
            row=stray[0],
            expected="utf-8",
        )
        return None
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _gb2312_share(text) >= PLAUSIBLE_SHARE:
        return text
    other = _other_encoding(data)
    if other is not None:
        ctx.error(
            "encoding",
            f"文件编码似乎是 {_NAMES[other]}，不是 UTF-8 或 GB18030"
            + (f"：按 GB18030 读出的文字是“{_sample(text)}”这样的乱码" if text else "")
            + f"。{_SAVE_AS}",
            found=other,
            expected=["utf-8", "gb18030"],
        )
        return None
    line = data.count(b"\n", 0, first_bad) + 1
    ctx.error(
        "encoding",
        f"无法识别文件编码：既不是 UTF-8 也不是 GB18030（第 {line} 行起无法识别）。{_SAVE_AS}",
        row=line,
        expected=["utf-8", "utf-8-sig", "gb18030"],
    )
    return None


def _stray_bytes(data: bytes) -> list[int] | None:
    """The lines of the undecodable bytes when ``data`` is UTF-8 but for a few of them."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    non_ascii = len(_ASCII.sub("", text))
    if bad == 0 or bad > MAX_STRAY_BYTES or non_ascii - bad < 4 * bad:
        return None  # mostly not UTF-8 at all: another encoding
    return [n for n, line in enumerate(text.split("\n"), start=1) if "\ufffd" in line]


def _gb2312_share(text: str) -> float:
    """Share of the non-ASCII characters (of a sample) that GB2312 has."""
    sample = "".join(_NON_ASCII.findall(text[:SAMPLE_CHARS]))
    if len(sample) < 4:
        return 1.0
    uncommon = sample.encode("gb2312", errors="replace").count(b"?")
    return 1 - uncommon / len(sample)


def _other_encoding(data: bytes) -> str | None:
    """Big5 or Shift-JIS, when ``data`` reads cleanly and plausibly in one of them."""
    best, best_share = None, 0.5
    for encoding in ("big5", "shift_jis"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        sample = "".join(_NON_ASCII.findall(text[:SAMPLE_CHARS]))
        if not sample:
            continue
        share = sum(_plausible(ch) for ch in sample[:20_000]) / min(len(sample), 20_000)
        if share > best_share:
            best, best_share = encoding, share
    return best


def _plausible(ch: str) -> bool:
    """A CJK ideograph, kana or full-width punctuation: not half-width katakana or symbols."""
    code = ord(ch)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3040 <= code <= 0x30FF
        or 0x3000 <= code <= 0x303F
        or 0xFF01 <= code <= 0xFF5E
    )


def _sample(text: str | None) -> str:
    if not text:
        return ""
    return "".join(ch for ch in text[:2000] if _plausible(ch))[:8]
