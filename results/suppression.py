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
    vectors = {key: tuple(sorted(columns[atom] for atom in atoms if atom in columns)) for key, atoms in groups.items()}
    size = {key: sum(base.get(atom, 0) for atom in atoms) for key, atoms in groups.items()}
    hidden = {key for key, value in size.items() if 0 < value < MIN_ANSWERS}
    small = sorted(hidden, key=lambda key: (size[key], repr(key)))
    width = len(columns)
    while True:
        shown = sorted((key for key in groups if key not in hidden and size[key] > 0), key=lambda k: (size[k], repr(k)))
        leak = _first_derivable(shown, small, vectors, width, exact=False)
        if leak is None:
            leak = _first_derivable(shown, small, vectors, width, exact=True)
            if leak is None:
                return hidden
        hidden.add(_next_to_hide(shown, vectors[leak], vectors, width))


def _matrix(rows: Sequence[Vector], width: int, exact: bool) -> flint.fmpz_mat | flint.nmod_mat:
    dense = [[0] * width for _ in rows]
    for row, vector in zip(dense, rows, strict=True):
        for column in vector:
            row[column] = 1
    return flint.fmpz_mat(dense) if exact else flint.nmod_mat(dense, _PRIME)


def _first_derivable(shown: list[Key], small: list[Key], vectors: Mapping[Key, Vector], width: int,
                     exact: bool) -> Key | None:
    """The first small figure that lies in the span of the shown ones: the row space of the shown
    figures is exactly what is orthogonal to their kernel."""
    if not shown:
        return None
    kernel, nullity = _matrix([vectors[key] for key in shown], width, exact).nullspace()
    basis = [[int(kernel[row, column]) for column in range(nullity)] for row in range(width)]
    modulus = None if exact else _PRIME
    for key in small:
        sums = [sum(basis[atom][column] for atom in vectors[key]) for column in range(nullity)]
        if all((value % modulus if modulus else value) == 0 for value in sums):
            return key
    return None


def _next_to_hide(shown: list[Key], leak: Vector, vectors: Mapping[Key, Vector], width: int) -> Key:
    """The smallest shown figure whose hiding stops `leak` from being worked out; failing that, the
    smallest shown figure (hiding continues from there).

    Hiding figure k stops it exactly when every way of writing `leak` from the shown figures uses
    k: on the left kernel of [shown; leak], the coordinate of `leak` is a multiple of k's."""
    kernel, nullity = _matrix([vectors[key] for key in shown] + [leak], width, exact=False).transpose().nullspace()
    coordinates = [[int(kernel[row, column]) for column in range(nullity)] for row in range(len(shown) + 1)]
    of_leak = coordinates[-1]
    for position, key in enumerate(shown):
        if _proportional(of_leak, coordinates[position]):
            return key
    return shown[0]


def _proportional(target: list[int], candidate: list[int]) -> bool:
    """target = λ · candidate modulo the prime, with candidate not zero."""
    pivot = next((index for index, value in enumerate(candidate) if value), None)
    if pivot is None:
        return False
    factor = target[pivot] * pow(candidate[pivot], -1, _PRIME) % _PRIME
    return all((value - factor * other) % _PRIME == 0 for value, other in zip(target, candidate, strict=True))
