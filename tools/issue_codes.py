"""Write the data issue codes table of docs/data.md from junheng.issues' docstring.

Run after adding a code: ``python tools/issue_codes.py``; tests/test_docs.py checks
every code of the docstring is in the table.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def codes() -> list[tuple[str, str]]:
    doc = (ROOT / "core" / "issues.py").read_text("utf-8")
    block = doc[doc.index("Codes in use") : doc.index('"""\n\nfrom __future__')]
    entries: list[list[str]] = []
    for line in block.splitlines()[2:]:
        m = re.match(r"^``([a-z_.<>]+)``\s+(.*)$", line)
        if m:
            entries.append([m.group(1), m.group(2)])
        elif entries and line.strip():
            entries[-1][1] += " " + line.strip()
    return [(c, t.replace("``", "`")) for c, t in entries]


def main() -> None:
    page = ROOT / "docs" / "data.md"
    text = page.read_text("utf-8")
    start = text.index("| code | meaning |")
    end = text.find("\n\n", start)
    end = len(text.rstrip("\n")) if end == -1 else end
    rows = "\n".join(f"| `{c}` | {t} |" for c, t in codes())
    text = text[:start] + "| code | meaning |\n|---|---|\n" + rows + text[end:]
    page.write_text(text if text.endswith("\n") else text + "\n", "utf-8")


if __name__ == "__main__":
    main()
