"""The rules' documentation: one source (`codes.py`), `pkify rule`, `docs/rules.md`, and every
documented Example / Use instead run through the engine."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fixture_expectations import REPO
from pkify.api import RULES as CODES, Session
from pkify.frontends.cli import main
from pkify.fix.plan import LOCAL_FIXERS
from pkify.frontends.rules_doc import SECTIONS, anchor, document, rule_markdown
from pkify.settings import Settings

RULES_MD = REPO / "docs" / "rules.md"
# Codes about what the JSON serializer cannot carry, which pickle carries (their docs say so).
SILENT_UNDER_PICKLE = frozenset({"CEL104"})


def test_docs_rules_md_is_up_to_date() -> None:
    assert RULES_MD.read_text() == document(), "run: python -m pkify.frontends.rules_doc > docs/rules.md"


@pytest.mark.parametrize("code", CODES)
def test_every_section_is_written(code: str) -> None:
    doc = CODES[code].doc
    for name, attribute in SECTIONS:
        assert getattr(doc, attribute).strip(), f"{code}: {name} is empty"
        assert f"## {name}\n" in rule_markdown(CODES[code])
    if code.startswith("CEL1") and code not in LOCAL_FIXERS:  # fixes that change what a task receives: queued messages matter
        assert "two steps" in doc.fix_safety and "queued" in doc.fix_safety


def _check_module(tmp_path: Path, source: str, serializer: str) -> list:
    (tmp_path / "manage.py").write_text("")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    module = tmp_path / "app" / "example.py"
    module.write_text(source)
    result = Session.open(tmp_path, Settings(serializer=serializer), use_cache=False).check(module)
    assert result.error is None, result.error
    return [f.code for f in result.diagnostics]


@pytest.mark.parametrize("serializer", ["json", "pickle"])
@pytest.mark.parametrize("code", CODES)
def test_example_produces_exactly_its_code(tmp_path: Path, code: str, serializer: str) -> None:
    silent = serializer == "pickle" and code in SILENT_UNDER_PICKLE
    assert _check_module(tmp_path, CODES[code].doc.example, serializer) == ([] if silent else [code])


@pytest.mark.parametrize("serializer", ["json", "pickle"])
@pytest.mark.parametrize("code", CODES)
def test_use_instead_produces_nothing(tmp_path: Path, code: str, serializer: str) -> None:
    assert _check_module(tmp_path, CODES[code].doc.use_instead, serializer) == []


def test_pkify_rule_lists_every_code(capsys) -> None:
    assert main(["rule"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(CODES)
    for line, code in zip(lines, CODES.values()):
        assert code.name in line and code.summary in line


def test_pkify_rule_prints_one_rule(capsys) -> None:
    assert main(["rule", "CEL102"]) == 0
    out = capsys.readouterr().out
    assert out == rule_markdown(CODES["CEL102"])
    assert out.startswith("# CEL102: queryset-task-argument\n")
    for heading in ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "Options"):
        assert f"\n## {heading}\n" in out


def test_pkify_rule_unknown_code(capsys) -> None:
    assert main(["rule", "E501"]) == 2
    assert "unknown code E501" in capsys.readouterr().err


def test_readme_links_every_rule() -> None:
    readme = (REPO / "README.md").read_text()
    headings = set(re.findall(r"^## (.+)$", RULES_MD.read_text(), re.MULTILINE))
    for code in CODES.values():
        assert f"docs/rules.md#{anchor(code)}" in readme, code.code
        assert f"{code.code}: {code.name}" in headings
