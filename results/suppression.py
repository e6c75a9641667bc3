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
linear algebra: whether a figure can be worked out with exact integers, which figure to hide next
modulo a prime (an accident there only changes which safe figure is hidden, never what is shown).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterator, Mapping

import flint

MIN_ANSWERS = 5
_PRIME = 2**61 - 1  # which figure to hide is chosen modulo this prime (only whether one can be worked out must be exact)

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
    start = 0  # hiding only shrinks what can be worked out: a figure that could not, never can
    while (start := figures.first_derivable(small, start)) < len(small):
        chosen = figures.next_to_hide((key for key in ranked if key not in hidden), small[start])
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
        self.version, self._built = 0, None
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
                self.version += self.unknown[self.class_of[atom]] == 1  # a new class column
        if key in self.shown_aggregates:
            self.shown_aggregates.discard(key)
            self.version += 1

    def _matrices(self) -> _Matrices:
        """The matrices over the classes, rebuilt only when a column or a shown aggregate changed
        (hiding an event of a class with an unknown one already changes neither)."""
        if self._built is None or self._built[0] != self.version:
            self._built = (self.version, _Matrices(self))
        return self._built[1]

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

    def first_derivable(self, small: list[Key], start: int) -> int:
        """Where in `small`, from `start`, the first figure in the span of the shown ones is
        (len(small) if none): exactly those orthogonal to the kernel of the shown figures (over the
        classes with an unknown event)."""
        matrices = self._matrices()
        kernel, position = matrices.kernel, matrices.position
        for index in range(start, len(small)):
            target = self._target(small[index])
            if target is not None and all(sum(vector[position[number]] for number in target) == 0 for vector in kernel):
                return index
        return len(small)

    def next_to_hide(self, shown: Iterator[Key], leak: Key) -> Key:
        """The first shown figure without which `leak` can no longer be worked out; failing that, the
        first shown figure (hiding continues from there).

        With `leak` = y·(shown aggregates) for some y, and z·(shown aggregates) = 0 for z in the left
        kernel: an aggregate is needed when y uses it and no z does (no other way round it). A
        one-event figure is needed when it is the last shown one of its event and that event then
        makes `leak` unknown: it joins the class of `leak`'s own event, or it opens a new class
        column c (the aggregates over it are a_c) that a z does not cancel and y·a_c ≠ leak_c."""
        matrices = self._matrices()
        target = frozenset(self._target(leak) or ())
        needed = matrices.needed(target)
        cancelled, uses = matrices.cancelled, matrices.uses
        solution = matrices.solution(target)
        leak_atom = self.single.get(leak)
        first = None
        for key in shown:
            first = first if first is not None else key
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
            through = sum(y for y, used in zip(solution, uses[number], strict=True) if used) % _PRIME
            if not cancelled[number] and through != in_leak:
                return key
        assert first is not None, "a figure that can be worked out needs a shown one"
        return first


class _Matrices:
    """The shown aggregates over the classes with an unknown event, for one state of `_Figures`."""

    def __init__(self, figures: _Figures) -> None:
        self.columns = figures._columns()
        self.position = {number: index for index, number in enumerate(self.columns)}
        order = figures._shown()
        alike: dict[frozenset[int], list[int]] = defaultdict(list)  # equal rows: neither is needed
        for index, row in enumerate(figures._shown_rows(self.columns)):
            alike[frozenset(row)].append(index)
        self.distinct = [(row, members) for row, members in alike.items() if row]
        self.keys = [order[members[0]] for _row, members in self.distinct]
        self.alone = [len(members) == 1 for _row, members in self.distinct]
        self.transposed = [(column, index, 1) for index, (row, _members) in enumerate(self.distinct) for column in row]
        self.kernel = _kernel([[(column, 1) for column in row] for row, _members in self.distinct], len(self.columns))
        self.left_kernel = _nullspace(_matrix(len(self.columns), len(self.distinct), self.transposed))
        self.dependent = _nonzero_rows(self.left_kernel)
        closed = sorted(number for number in figures.classes.values() if not figures.unknown[number])
        over = {number: {index for index, key in enumerate(order) if number in figures.aggregate_classes[key]}
                for number in closed}
        self.uses = {number: [int(members[0] in over[number]) for _row, members in self.distinct] for number in closed}
        entries = [(row, index, 1) for row, number in enumerate(closed) for index, used in enumerate(self.uses[number]) if used]
        crossed = _nonzero_rows(_matrix(len(closed), len(self.distinct), entries) * self.left_kernel)
        self.cancelled = {number: crossed[row] or any(  # a row equal to another (or to nothing) here, but not on c
            len(over[number] & set(members)) not in ({0, len(members)} if found else {0}) for found, members in alike.items())
            for row, number in enumerate(closed)}
        self._solutions: dict[frozenset[int], list] = {}

    def solution(self, target: frozenset[int]) -> list:
        """y with y·(distinct shown aggregates) = the target's classes."""
        if target not in self._solutions:
            last = len(self.distinct)
            column = [(self.position[number], last, -1) for number in target]
            self._solutions[target] = _solution(_matrix(len(self.columns), last + 1, self.transposed + column), last)
        return self._solutions[target]

    def needed(self, target: frozenset[int]) -> set[Key]:
        facts = zip(self.keys, self.solution(target), self.dependent, self.alone, strict=True)
        return {key for key, used, other_way, alone in facts if used and not other_way and alone}


def _matrix(height: int, width: int, entries: list[tuple[int, int, int]]) -> flint.nmod_mat:
    """A sparse matrix modulo `_PRIME` from (row, column, value): set one by one, as FLINT reads a
    dense list slower."""
    matrix = flint.nmod_mat(height, width, _PRIME)
    for row, column, value in entries:
        matrix[row, column] = value
    return matrix


def _nullspace(matrix: flint.nmod_mat) -> flint.nmod_mat:
    """Columns spanning the integer x with matrix·x = 0 (the rest of its columns are zero)."""
    if matrix.ncols() == 0:
        return flint.nmod_mat(0, 0, _PRIME)
    return matrix.nullspace()[0]


def _nonzero_rows(matrix: flint.nmod_mat) -> list[bool]:
    """Which rows have an entry: read from the diagonal of matrix·matrixᵀ, not entry by entry (a
    sum of squares modulo the prime is zero by accident with negligible chance)."""
    square = matrix * matrix.transpose()
    return [bool(square[row, row]) for row in range(matrix.nrows())]


def _solution(matrix: flint.nmod_mat, last: int) -> list[int]:
    """From [A | -b] (columns `last` and before are A): y with y·A = b, modulo the prime."""
    basis, nullity = matrix.nullspace()
    found = next(column for column in range(nullity) if basis[last, column])
    return [int(basis[row, found] / basis[last, found]) for row in range(last)]


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
