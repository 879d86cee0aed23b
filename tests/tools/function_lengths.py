#!/usr/bin/env python3
"""Fails when a function is longer than 70 lines (TIGER_STYLE's limit) without a written reason: the
words "longer than the usual limit" in the comment lines just above it (within 6 lines), saying why.
Tests and benches count too: tests/, benches/ and `#[cfg(test)]` modules in src files; only build
output, fuzz targets (their own workspace) and node_modules are skipped.

    python3 tests/tools/function_lengths.py [ROOT]

Counts from the `fn` line to its closing brace, as rustfmt lays code out. Lists the longest
functions either way, so the figure can be read in CI's log."""

import re
import sys
from pathlib import Path

LIMIT = 70
REASON = "longer than the usual limit"
SKIP = ("/target/", "/fuzz/", "/node_modules/")


def functions(path):
    lines = path.read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)(pub(\([a-z]+\))? )?(async )?(const )?fn ([A-Za-z_0-9]+)", lines[i])
        if not m:
            i += 1
            continue
        indent = len(m.group(1))
        j = i
        while j < len(lines) and not lines[j].rstrip().endswith(("{", ";")):
            j += 1
        if j >= len(lines) or lines[j].rstrip().endswith(";"):
            i = j + 1
            continue
        k = j + 1
        while k < len(lines) and not (
            lines[k].startswith(" " * indent + "}") and len(lines[k]) - len(lines[k].lstrip()) == indent
        ):
            k += 1
        above = "\n".join(l for l in lines[max(0, i - 6) : i] if l.lstrip().startswith("//"))
        yield k - i + 1, i + 1, m.group(6), REASON in above
        i = k + 1


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    found = []
    for path in sorted(root.rglob("*.rs")):
        text = "/" + str(path.relative_to(root))
        if any(s in text for s in SKIP):
            continue
        for length, line, name, reasoned in functions(path):
            found.append((length, f"{path.relative_to(root)}:{line}", name, reasoned))
    found.sort(reverse=True)
    for length, where, name, reasoned in found[:5]:
        print(f"{length:4} lines  {where}  {name}{'  (reason written)' if reasoned else ''}")
    over = [f for f in found if f[0] > LIMIT and not f[3]]
    if over:
        for length, where, name, _ in over:
            print(f"too long: {where} {name}: {length} lines (limit {LIMIT}, or write the reason)")
        sys.exit(1)
    print(f"function lengths: {len(found)} functions, none over {LIMIT} lines without a reason")


if __name__ == "__main__":
    main()
