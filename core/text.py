"""Text every output can carry: the characters data may not hold, and how to show any text.

Three kinds of character break a report: a lone surrogate (``"\\ud800"``: a Python
string or a JSON ``\\u`` escape may hold one, UTF-8 cannot encode it), a C0 control
character other than tab, line feed and carriage return (NUL; the vertical tab
Word writes for a manual line break; U+001F) and the non-characters U+FFFE/U+FFFF
(neither may appear in XML, so not in XLSX or HTML). Validation refuses them in
data; the writers replace them with U+FFFD (:func:`replace_unsafe`), so text from a
ruleset or a plugin's section never crashes one; messages show them escaped
(:func:`printable`), so a clerk sees which character is where.

A cell an XLSX writer fills with text starting ``=``, ``+``, ``-`` or ``@`` is
written as text with Excel's quote prefix (:data:`FORMULA_LEADERS`, OWASP's advice
for spreadsheet export): ``=HYPERLINK(...)`` in a school name stays a name.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "FORMULA_LEADERS",
    "UNSAFE",
    "describe_unsafe",
    "huge_integer",
    "printable",
    "replace_unsafe",
    "scrub",
    "shorten",
]

#: one character no report format can carry (see the module docstring)
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: text starting with one of these could be taken for a formula by a spreadsheet
FORMULA_LEADERS = ("=", "+", "-", "@", "\t", "\r")

_NAMES = {0x00: "空字符 NUL", 0x0B: "垂直制表符（Word 的手动换行）", 0x0C: "换页符"}


def printable(text: str) -> str:
    """``text`` with each unsafe character written as its escape (``\\u000b``)."""
    if UNSAFE.search(text) is None:
        return text
    return UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def replace_unsafe(text: str) -> str:
    """``text`` with each unsafe character replaced by U+FFFD (what a writer puts out)."""
    return UNSAFE.sub("\ufffd", text)


def scrub(value: Any) -> Any:
    """``value`` (nested dicts, lists, tuples, strings) with :func:`replace_unsafe` applied
    to every string, keys included; anything else unchanged."""
    if isinstance(value, str):
        return replace_unsafe(value)
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    return value


def describe_unsafe(text: str) -> str | None:
    """A Chinese phrase for the first unsafe character of ``text`` and where it is,
    or None when there is none: ``第 3 个字符是控制字符 U+001F``."""
    found = UNSAFE.search(text)
    if found is None:
        return None
    code = ord(found.group())
    if 0xD800 <= code <= 0xDFFF:
        what = f"不成对的代理码位 U+{code:04X}（不是有效的 Unicode 字符）"
    elif code in (0xFFFE, 0xFFFF):
        what = f"非字符 U+{code:04X}"
    else:
        what = _NAMES.get(code, "控制字符") + f" U+{code:04X}"
    return f"第 {found.start() + 1} 个字符是{what}"


def shorten(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters with the length said, for messages."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 1]}…（共 {len(text)} 个字符）"


def huge_integer(value: int) -> str:
    """``约 401 位的整数`` for an integer too large to show or to hold as a float (its
    digits are estimated from its bits: Python refuses to print more than 4,300)."""
    digits = int(abs(value).bit_length() * 0.30103) + 1
    return f"约 {digits} 位的整数"
