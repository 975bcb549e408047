"""The rules: one module per code, and the registry every front end reads (the CLI's
`--select`/`--ignore`, flake8's selection, `pkify rule`, docs/rules.md, SARIF metadata).

A new rule is a new module here (a `RULE` with its code, name, documentation and check) and a
line in `RULES` below, plus its fixtures (fixtures/rules/CODE/) and `docs/rules.md`, regenerated.
"""

from __future__ import annotations

from typing import Dict

from . import cel101, cel102, cel103, cel104, cel105, cel201
from .base import Context, Rule, RuleDoc

RULES: Dict[str, Rule] = {rule.code: rule for rule in (cel101.RULE, cel102.RULE, cel103.RULE, cel104.RULE, cel105.RULE, cel201.RULE)}

__all__ = ["RULES", "Rule", "RuleDoc", "Context"]
