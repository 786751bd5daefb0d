"""A pack's problem bank: its fixed problems, then the variants generated from its templates.

The engine resolves every problem id through `Bank.problem`, so a run, a daily card or a
review can hold variant ids ("<template>.s<seed>") as well as fixed ones. Where variants
come from (a store, after a restart) is the caller's business: it supplies a
`VariantSource`, and the engine stays free of storage.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Protocol

from problems.model import Pack, Problem


class VariantSource(Protocol):
    def variant(self, pack_id: str, problem_id: str) -> Problem | None:
        """The variant with this id, as it was first shown, or None if unknown."""
        ...


@dataclass(frozen=True)
class Bank(Pack):
    """A Pack whose `problem()` also finds variants; `problems` stays the fixed ones."""

    variants: VariantSource | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, pack: Pack, variants: VariantSource | None) -> Bank:
        own = {f.name: getattr(pack, f.name) for f in fields(Pack)}
        return cls(**own, variants=variants)

    def problem(self, problem_id: str) -> Problem:
        try:
            return super().problem(problem_id)
        except KeyError:
            found = self.variants.variant(self.id, problem_id) if self.variants else None
            if found is None:
                raise
            return found
