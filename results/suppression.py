"""Small-number suppression for the Effect figures: no figure from fewer than 5 answers is shown,
not even by adding and subtracting figures that are shown.

Every figure is a sum over held events (the atoms): the region, an audience, an organisation, an
organisation's audience, per period, and each event itself. A figure from 1–4 answers is hidden
(primary). It could still be worked out when its events are a linear combination of the shown
figures (the total minus every other organisation, an organisation minus its other events, the
year minus the last twelve months...). `protect` checks exactly that, with exact arithmetic over
the events still unknown, and hides one more figure at a time until no small figure can be
worked out. The dashboard, the CSV and the print view all read the one result.
"""
from __future__ import annotations

from collections.abc import Hashable, Mapping
from fractions import Fraction

MIN_ANSWERS = 5

Atom = Hashable
Key = Hashable


def protect(groups: Mapping[Key, frozenset[Atom]], base: Mapping[Atom, int],
            singleton_of: Mapping[Atom, Key]) -> set[Key]:
    """The keys of `groups` to hide.

    `groups`: each figure's events; `base`: answers per event; `singleton_of`: the key of the
    figure that is one event alone (showing it makes that event known).
    """
    size = {key: sum(base.get(atom, 0) for atom in atoms) for key, atoms in groups.items()}
    hidden = {key for key, value in size.items() if 0 < value < MIN_ANSWERS}
    while (leak := _revealed(groups, size, base, singleton_of, hidden)) is not None:
        hidden.add(_next_to_hide(groups, size, base, singleton_of, hidden, leak))
    return hidden


def _unknown(base: Mapping[Atom, int], singleton_of: Mapping[Atom, Key], hidden: set[Key]) -> list[Atom]:
    """Events with answers whose own figure is hidden: everything else is known exactly."""
    return sorted((atom for atom, value in base.items() if value > 0 and singleton_of.get(atom) in hidden), key=repr)


def _revealed(groups: Mapping[Key, frozenset[Atom]], size: Mapping[Key, int], base: Mapping[Atom, int],
              singleton_of: Mapping[Atom, Key], hidden: set[Key]) -> Key | None:
    """A hidden small figure that the shown ones give away, or None."""
    basis, index = _shown_basis(groups, size, base, singleton_of, hidden)
    for key in sorted((k for k in hidden if 0 < size[k] < MIN_ANSWERS), key=lambda k: (size[k], repr(k))):
        if basis.spans(_vector(groups[key], index)):
            return key
    return None


def _next_to_hide(groups: Mapping[Key, frozenset[Atom]], size: Mapping[Key, int], base: Mapping[Atom, int],
                  singleton_of: Mapping[Atom, Key], hidden: set[Key], leak: Key) -> Key:
    """The smallest shown figure whose hiding stops `leak` from being worked out; failing that, the
    smallest shown figure that shares events with it or sits beside it (hiding continues from there)."""
    shown = sorted((key for key in groups if key not in hidden and size[key] > 0), key=lambda k: (size[k], repr(k)))
    for key in shown:
        if not _still_revealed(groups, size, base, singleton_of, hidden | {key}, leak):
            return key
    return shown[0]


def _still_revealed(groups: Mapping[Key, frozenset[Atom]], size: Mapping[Key, int], base: Mapping[Atom, int],
                    singleton_of: Mapping[Atom, Key], hidden: set[Key], leak: Key) -> bool:
    basis, index = _shown_basis(groups, size, base, singleton_of, hidden)
    return basis.spans(_vector(groups[leak], index))


def _shown_basis(groups: Mapping[Key, frozenset[Atom]], size: Mapping[Key, int], base: Mapping[Atom, int],
                 singleton_of: Mapping[Atom, Key], hidden: set[Key]) -> tuple[_Basis, dict[Atom, int]]:
    """What the shown figures span, over the atoms that are not known outright, and those atoms' positions."""
    unknown = _unknown(base, singleton_of, hidden)
    index = {atom: position for position, atom in enumerate(unknown)}
    basis = _Basis(len(unknown))
    for key, atoms in groups.items():
        if key not in hidden and size[key] > 0:
            basis.add(_vector(atoms, index))
    return basis, index


def _vector(atoms: frozenset[Atom], index: Mapping[Atom, int]) -> dict[int, Fraction]:
    return {index[atom]: Fraction(1) for atom in atoms if atom in index}


class _Basis:
    """Rows in echelon form (exact fractions): does a vector lie in their span?"""

    def __init__(self, width: int) -> None:
        self.width = width
        self.rows: dict[int, dict[int, Fraction]] = {}  # pivot column -> row with 1 at the pivot

    def _reduce(self, vector: dict[int, Fraction]) -> dict[int, Fraction]:
        vector = dict(vector)
        for pivot in sorted(self.rows):
            factor = vector.get(pivot)
            if factor:
                for column, value in self.rows[pivot].items():
                    updated = vector.get(column, Fraction(0)) - factor * value
                    if updated:
                        vector[column] = updated
                    else:
                        vector.pop(column, None)
        return vector

    def add(self, vector: dict[int, Fraction]) -> None:
        if len(self.rows) == self.width:
            return
        rest = self._reduce(vector)
        if rest:
            pivot = min(rest)
            lead = rest[pivot]
            self.rows[pivot] = {column: value / lead for column, value in rest.items()}

    def spans(self, vector: dict[int, Fraction]) -> bool:
        return not self._reduce(vector)
