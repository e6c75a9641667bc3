"""Small-number suppression for the Effect figures: no figure from fewer than 5 answers is shown,
not even by adding and subtracting figures that are shown.

Every figure is a sum over held events (the atoms): the region, an audience, an organisation, an
organisation's audience, per period, and each event itself. A figure from 1–4 answers is hidden
(primary). It could still be worked out when its events are a linear combination of the shown
figures (the total minus every other organisation, an organisation minus its other events, the
year minus the last twelve months...). `protect` hides one more figure at a time until no small
figure can be worked out. The dashboard, the CSV and the print view all read the one result.

The linear algebra is FLINT's (python-flint), not ours: with a few hundred small events the exact
elimination in Python took minutes per dashboard view. Which figure to hide next is chosen with
arithmetic modulo a large prime (fast); the result is then certified with exact integer
arithmetic, and a figure the certificate finds derivable is hidden too, so a modular accident can
only ever hide more, never show a small figure.
"""
from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import flint

MIN_ANSWERS = 5
_PRIME = 2**61 - 1  # a Mersenne prime below FLINT's word-size limit for nmod_mat

Atom = Hashable
Key = Hashable
Vector = tuple[int, ...]  # the columns (events with answers) a figure adds up


def protect(groups: Mapping[Key, frozenset[Atom]], base: Mapping[Atom, int]) -> set[Key]:
    """The keys of `groups` (each figure's events) to hide, given `base` (answers per event).

    An event is known exactly when its own figure (a group of that event alone) is shown; that
    is just another row here, so hiding it makes the event unknown."""
    columns = {atom: position for position, atom in enumerate(sorted((a for a, n in base.items() if n > 0), key=repr))}
    size = {key: sum(base.get(atom, 0) for atom in atoms) for key, atoms in groups.items()}
    figures = _Figures([key for key in groups if size[key] > 0], groups, columns)
    hidden = {key for key, value in size.items() if 0 < value < MIN_ANSWERS}
    for key in hidden:
        figures.hide(key)
    small = sorted(hidden, key=lambda key: (size[key], repr(key)))
    while True:
        leak = figures.first_derivable(small, exact=False) or figures.first_derivable(small, exact=True)
        if leak is None:
            return hidden
        shown = sorted((key for key in figures.keys if key not in hidden), key=lambda k: (size[k], repr(k)))
        chosen = figures.next_to_hide(shown, leak)
        hidden.add(chosen)
        figures.hide(chosen)


class _Figures:
    """The figures as rows of a 0/1 matrix over the events with answers (FLINT, modulo a prime),
    plus one spare row for the figure being tested. A hidden figure's row is set to zero: that
    changes neither the row space nor the echelon test below."""

    def __init__(self, keys: list[Key], groups: Mapping[Key, frozenset[Atom]], columns: Mapping[Atom, int]) -> None:
        self.keys = keys
        self.position = {key: row for row, key in enumerate(keys)}
        self.vectors = {key: tuple(sorted(columns[atom] for atom in groups[key] if atom in columns)) for key in keys}
        self.width = len(columns)
        self.rows = _matrix([self.vectors[key] for key in keys] + [()], self.width)

    def hide(self, key: Key) -> None:
        if key in self.position:
            for column in self.vectors[key]:
                self.rows[self.position[key], column] = 0

    def first_derivable(self, small: list[Key], exact: bool) -> Key | None:
        """The first small figure in the span of the shown ones: the row space of the shown figures
        is exactly what is orthogonal to their kernel. `exact` certifies with integers."""
        candidates = [key for key in small if key in self.position]
        if not candidates or self.width == 0:
            return None
        shown = self.rows if not exact else flint.fmpz_mat([[int(value) for value in row] for row in self.rows.tolist()])
        kernel, nullity = shown.nullspace()
        if nullity == 0:
            return candidates[0]  # the shown figures determine every event
        tested = _matrix([self.vectors[key] for key in candidates], self.width, exact)
        products = (tested * kernel).tolist()
        return next((key for key, row in zip(candidates, products, strict=True)
                     if not any(int(value) for value in row[:nullity])), None)

    def next_to_hide(self, shown: list[Key], leak: Key) -> Key:
        """The smallest shown figure whose hiding stops `leak` from being worked out; failing that,
        the smallest shown figure (hiding continues from there).

        In the reduced row echelon form of [figures | leak] (figures as columns), the pivot
        figures are a basis and the other columns are written in them. Hiding figure k stops the
        leak exactly when k is a pivot that `leak` uses and that no other shown figure uses (else
        that figure takes k's place in the basis)."""
        spare = len(self.keys)
        for column in self.vectors[leak]:
            self.rows[spare, column] = 1
        reduced, rank = self.rows.transpose().rref()
        for column in self.vectors[leak]:
            self.rows[spare, column] = 0
        echelon = [[int(value) for value in row] for row in reduced.tolist()[:rank]]
        pivots = [row.index(next(value for value in row if value)) for row in echelon]
        others = [column for column in range(spare) if column not in set(pivots)]
        needed = {self.keys[pivot] for row, pivot in zip(echelon, pivots, strict=True)
                  if pivot != spare and row[spare] and not any(row[column] for column in others)}
        return next((key for key in shown if key in needed), shown[0])


def _matrix(rows: Sequence[Vector], width: int, exact: bool = False) -> flint.fmpz_mat | flint.nmod_mat:
    dense = [[0] * width for _ in rows]
    for row, vector in zip(dense, rows, strict=True):
        for column in vector:
            row[column] = 1
    return flint.fmpz_mat(dense) if exact else flint.nmod_mat(dense, _PRIME)
