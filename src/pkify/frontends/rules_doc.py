"""The rules' documentation, rendered from the rule registry (`pkify.rules`): `pkify rule CODE`
prints one rule, and `python -m pkify.frontends.rules_doc > docs/rules.md` writes the rules page
(a test keeps it up to date)."""

from __future__ import annotations

import re
import sys
import textwrap
from typing import List, Optional

from ..api import RULES, Rule

SECTIONS = (
    ("What it does", "what"),
    ("Why is this bad?", "why"),
    ("Example", "example"),
    ("Use instead", "use_instead"),
    ("Fix safety", "fix_safety"),
    ("Options", "options"),
)
WIDTH = 100


def prose(text: str, width: Optional[int] = WIDTH) -> str:
    """Paragraphs wrapped at `width` (None: one line each); lists are kept as written."""
    paragraphs = []
    for paragraph in text.strip().split("\n\n"):
        if paragraph.lstrip().startswith("- "):
            paragraphs.append(paragraph.rstrip())
        elif width is None:
            paragraphs.append(" ".join(paragraph.split()))
        else:
            paragraphs.append(textwrap.fill(" ".join(paragraph.split()), width, break_on_hyphens=False))
    return "\n\n".join(paragraphs)


def title(code: Rule) -> str:
    return f"{code.code}: {code.name}"


def anchor(code: Rule) -> str:
    """The anchor GitHub gives the rule's heading in docs/rules.md."""
    return re.sub(r"[^a-z0-9 -]", "", title(code).lower()).replace(" ", "-")


def rule_markdown(code: Rule, level: int = 1) -> str:
    """One rule as Markdown; `level`: the heading level of its title."""
    heading = "#" * level
    lines: List[str] = [f"{heading} {title(code)}", "", f"{code.summary}."]
    for name, attribute in SECTIONS:
        text = getattr(code.doc, attribute)
        lines += ["", f"{heading}# {name}", ""]
        if attribute in ("example", "use_instead"):
            lines += ["```python", text.strip("\n"), "```"]
        else:
            lines.append(prose(text))
    return "\n".join(lines) + "\n"


def rule_list() -> str:
    """One line per code: what `pkify rule` prints."""
    width = max(len(c.name) for c in RULES.values())
    return "".join(f"{c.code}  {c.name:<{width}}  {c.summary}\n" for c in RULES.values())


def document() -> str:
    """docs/rules.md."""
    parts = [
        "# Rules\n\n"
        "<!-- Generated from src/pkify/rules/ by `python -m pkify.frontends.rules_doc > docs/rules.md`; "
        "do not edit. -->\n\n"
        "Each rule's Example is a module that pkify reports with exactly that code, and its Use "
        "instead\nis one it leaves alone: the tests run both. `pkify rule CODE` prints a rule in "
        "the terminal.\n\n"
        "| code | name | summary |\n| --- | --- | --- |\n"
        + "".join(f"| [`{c.code}`](#{anchor(c)}) | `{c.name}` | {c.summary} |\n" for c in RULES.values())
    ]
    parts += [rule_markdown(c, level=2) for c in RULES.values()]
    return "\n".join(parts)


def main() -> int:
    sys.stdout.write(document())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
