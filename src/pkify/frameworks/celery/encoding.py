"""What kombu's serializers carry: the types its JSON encoder handles by itself, and the types a
project teaches it with `kombu.utils.json.register_type(...)`, read from the summaries (module
level calls)."""

from __future__ import annotations

from typing import FrozenSet, Optional

from ...project.index import SymbolIndex
from ...project.memo import memoized
from ...project.summary import Call, Ref

REGISTER_TYPE = frozenset({"kombu.utils.json.register_type"})
# The serializers that cannot carry a set, a timedelta, a class or an object of their own (yaml
# carries sets; pickle carries nearly anything).
STRICT = frozenset({"json", "msgpack"})
# Registered types that cover every value: a project registering one of these makes pkify unsure.
EVERYTHING = frozenset({"object", "builtins.object"})


class Encoding:
    def __init__(self, index: SymbolIndex) -> None:
        self.index = index
        self.memo = index.memo

    @memoized(default=None)
    def registered(self) -> Optional[FrozenSet[str]]:
        """The qualified names of the types the project registers with kombu's JSON encoder;
        None when a registration cannot be read (its type is not a name pkify resolves, or the
        module calls `register_type` only inside functions), and so anything may be registered."""
        found = set()
        for module in self.index.modules():
            if "register_type" not in module.call_names:
                continue
            self.memo.note_read(module.path)  # calls inside functions are not declarations
            read = 0
            for call in module.statement_calls:
                if not isinstance(call, Call) or not isinstance(call.func, Ref):
                    continue
                if self.index.expr_qualname(module, call.func) not in REGISTER_TYPE:
                    continue
                first = call.args[0] if call.args else call.keyword("t")
                kind = self.index.expr_qualname(module, first) if isinstance(first, Ref) else None
                if kind is None and isinstance(first, Ref) and first.name in ("set", "frozenset"):
                    kind = first.name
                if kind is None or kind in EVERYTHING:
                    return None
                found.add(kind)
                read += 1
            imported = any("kombu" in target for target in module.imports.values())
            if imported and not read:  # called somewhere pkify does not read
                return None
        return frozenset(found)
