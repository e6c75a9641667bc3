"""Small-number suppression for the Effect figures: no figure from fewer than 5 answers is shown,
not even by adding and subtracting figures that are shown.

Every figure is a sum over held events (the atoms): the region, an audience, an organisation, an
organisation's audience, per period, and each event itself. A figure from 1–4 answers is hidden
(primary). It could still be worked out when its events are a linear combination of the shown
figures (the total minus every other organisation, an organisation minus its other events, the
year minus the last twelve months...). `protect` hides one more figure at a time until no small
figure can be worked out. The dashboard, the CSV and the print view all read the one result.

The linear algebra is small because of the figures' structure. An event whose own figure is shown
is known, so it drops out (subtract it from every figure). The figures over several events (the
aggregates) are constant on a class of events: those that every aggregate either contains or
leaves out (one organisation, one audience, the same periods). So a test "is this figure a
combination of the shown ones" is a rank test over the classes with an unknown event (at most
organisations × audiences × period patterns columns, whatever the number of events), and a hidden
event is safe at once when another event of its class is unknown too. FLINT (python-flint) does the
exact integer arithmetic; nothing is taken modulo a prime.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping

import flint

MIN_ANSWERS = 5

Atom = Hashable
Key = Hashable


def protect(groups: Mapping[Key, frozenset[Atom]], base: Mapping[Atom, int]) -> set[Key]:
    """The keys of `groups` (each figure's events) to hide, given `base` (answers per event).

    An event is known exactly when a figure of that event alone is shown; that is just another
    figure here, so hiding it makes the event unknown. Each round hides the smallest shown figure
    without which the first small figure that can be worked out no longer can."""
    answered = {atom for atom, count in base.items() if count > 0}
    size = {key: sum(base.get(atom, 0) for atom in atoms) for key, atoms in groups.items()}
    figures = _Figures({key: frozenset(atoms) & answered for key, atoms in groups.items() if size[key] > 0})
    ranked = sorted(figures.vectors, key=lambda key: (size[key], repr(key)))
    small = [key for key in ranked if size[key] < MIN_ANSWERS]
    hidden = set(small)
    for key in small:
        figures.hide(key)
    while (leak := figures.first_derivable(small)) is not None:
        chosen = figures.next_to_hide([key for key in ranked if key not in hidden], leak)
        hidden.add(chosen)
        figures.hide(chosen)
    return hidden


class _Figures:
    """The figures over the answered events, with which are hidden, reduced to event classes."""

    def __init__(self, vectors: dict[Key, frozenset[Atom]]) -> None:
        self.vectors = vectors
        self.single = {key: next(iter(atoms)) for key, atoms in vectors.items() if len(atoms) == 1}
        self.shown_aggregates = {key for key, atoms in vectors.items() if len(atoms) > 1}
        containing: dict[Atom, list[Key]] = defaultdict(list)
        self.aggregates = sorted(self.shown_aggregates, key=repr)
        for key in self.aggregates:
            for atom in vectors[key]:
                containing[atom].append(key)
        atoms = {atom for vector in vectors.values() for atom in vector}
        signature = {atom: tuple(containing[atom]) for atom in atoms}
        self.classes = {found: number for number, found in enumerate(sorted(set(signature.values()), key=repr))}
        self.class_of = {atom: self.classes[signature[atom]] for atom in atoms}
        self.aggregate_classes = {key: frozenset(self.class_of[atom] for atom in vectors[key]) for key in self.shown_aggregates}
        self.showing = defaultdict(int)  # atom -> its shown one-event figures: it is known while > 0
        for atom in self.single.values():
            self.showing[atom] += 1
        self.unknown = defaultdict(int)  # class -> its unknown events
        for atom in atoms:
            if not self.showing[atom]:
                self.unknown[self.class_of[atom]] += 1

    def hide(self, key: Key) -> None:
        if key in self.single:
            atom = self.single[key]
            self.showing[atom] -= 1
            if not self.showing[atom]:
                self.unknown[self.class_of[atom]] += 1
        self.shown_aggregates.discard(key)

    def _columns(self) -> list[int]:
        return sorted(number for number, count in self.unknown.items() if count)

    def _target(self, key: Key) -> set[int] | None:
        """The classes `key` adds up over the unknown events; None when it cannot be worked out
        whatever is shown (one event among several unknown ones of its class)."""
        if key not in self.single:
            return {number for number in self.aggregate_classes[key] if self.unknown[number]}
        atom = self.single[key]
        if self.showing[atom]:
            return set()
        return None if self.unknown[self.class_of[atom]] > 1 else {self.class_of[atom]}

    def _shown(self) -> list[Key]:
        return [key for key in self.aggregates if key in self.shown_aggregates]

    def _shown_rows(self, columns: list[int]) -> list[list[int]]:
        """Each shown aggregate as the positions in `columns` of the classes it adds up."""
        position = {number: index for index, number in enumerate(columns)}
        return [[position[number] for number in self.aggregate_classes[key] if number in position] for key in self._shown()]

    def first_derivable(self, small: list[Key]) -> Key | None:
        """The first small figure in the span of the shown ones: exactly those orthogonal to the
        kernel of the shown figures (over the classes with an unknown event)."""
        columns = self._columns()
        kernel = _kernel([[(column, 1) for column in row] for row in self._shown_rows(columns)], len(columns))
        position = {number: index for index, number in enumerate(columns)}
        for key in small:
            target = self._target(key)
            if target is not None and all(sum(vector[position[number]] for number in target) == 0 for vector in kernel):
                return key
        return None

    def next_to_hide(self, shown: list[Key], leak: Key) -> Key:
        """The first shown figure without which `leak` can no longer be worked out; failing that, the
        first shown figure (hiding continues from there).

        With `leak` = y·(shown aggregates) for some y, and z·(shown aggregates) = 0 for z in the left
        kernel: an aggregate is needed when y uses it and no z does (no other way round it). A
        one-event figure is needed when it is the last shown one of its event and that event then
        makes `leak` unknown: it joins the class of `leak`'s own event, or it opens a new class
        column c (the aggregates over it are a_c) that a z does not cancel and y·a_c ≠ leak_c."""
        order = self._shown()
        columns = self._columns()
        target = self._target(leak) or set()
        transposed = [(column, index, 1) for index, row in enumerate(self._shown_rows(columns)) for column in row]
        leak_column = [(column, len(order), -1) for column, number in enumerate(columns) if number in target]
        solution = _solution(_matrix(len(columns), len(order) + 1, transposed + leak_column), len(order))
        left_kernel = _nullspace(_matrix(len(columns), len(order), transposed))
        dependent = _nonzero_rows(left_kernel)
        needed = {key for key, used, other_way in zip(order, solution, dependent, strict=True) if used and not other_way}
        closed = sorted(number for number in self.classes.values() if not self.unknown[number])
        over = {number: [index for index, key in enumerate(order) if number in self.aggregate_classes[key]] for number in closed}
        cancelled = dict(zip(closed, _nonzero_rows(_matrix(len(closed), len(order), [
            (row, index, 1) for row, number in enumerate(closed) for index in over[number]]) * left_kernel), strict=True))
        leak_atom = self.single.get(leak)
        for key in shown:
            if key not in self.single:
                if key in needed:
                    return key
                continue
            atom = self.single[key]
            if self.showing[atom] > 1:
                continue
            number = self.class_of[atom]
            if self.unknown[number]:
                if leak_atom is not None and self.class_of[leak_atom] == number and (
                        leak_atom == atom or not self.showing[leak_atom]):
                    return key
                continue
            in_leak = int(atom == leak_atom if leak_atom is not None else number in self.aggregate_classes[leak])
            if not cancelled[number] and sum(solution[index] for index in over[number]) != in_leak:
                return key
        return shown[0]


def _matrix(height: int, width: int, entries: list[tuple[int, int, int]]) -> flint.fmpz_mat:
    """A sparse matrix from (row, column, value): set one by one, as FLINT reads a dense list slower."""
    matrix = flint.fmpz_mat(height, width)
    for row, column, value in entries:
        matrix[row, column] = value
    return matrix


def _nullspace(matrix: flint.fmpz_mat) -> flint.fmpz_mat:
    """Columns spanning the integer x with matrix·x = 0 (the rest of its columns are zero)."""
    if matrix.ncols() == 0:
        return flint.fmpz_mat(0, 0)
    return matrix.nullspace()[0]


def _nonzero_rows(matrix: flint.fmpz_mat) -> list[bool]:
    """Which rows have an entry: read from the diagonal of matrix·matrixᵀ, not entry by entry."""
    square = matrix * matrix.transpose()
    return [bool(square[row, row]) for row in range(matrix.nrows())]


def _solution(matrix: flint.fmpz_mat, last: int) -> list:
    """From [A | -b] (columns `last` and before are A): y with y·A = b, as fractions."""
    basis, nullity = matrix.nullspace()
    found = next(column for column in range(nullity) if basis[last, column])
    return [flint.fmpq(int(basis[row, found]), int(basis[last, found])) for row in range(last)]


def _kernel(rows: list[list[tuple[int, int]]], width: int) -> list[list[int]]:
    """A basis of the integer vectors x with rows·x = 0 (exact, FLINT); `rows` as (column, value)
    pairs, set one by one: the matrices are sparse, and FLINT reads a dense list slower."""
    if width == 0:
        return []
    if not rows:
        return [[int(row == column) for column in range(width)] for row in range(width)]
    matrix = flint.fmpz_mat(len(rows), width)
    for index, row in enumerate(rows):
        for column, value in row:
            matrix[index, column] = value
    basis, nullity = matrix.nullspace()
    return [[int(basis[row, index]) for row in range(width)] for index in range(nullity)]
