"""Read and write Pabulib ``.pb`` files exactly.

A file has three sections, ``META``, ``PROJECTS`` and ``VOTES``, in that order. Each starts
with a title line (matched case-insensitively), then a header line, then ``;``-separated rows
read with real CSV quoting (``"`` quotes, ``""`` escapes one). The reader accepts what real
files do: LF, CRLF or mixed line endings, a missing final newline, a UTF-8 BOM, blank lines,
cells and list items with stray spaces (trimmed), ``None``/``none`` cells (missing), rows with
empty or missing trailing cells (missing), decimal costs and budgets (kept exact, never float),
and string project ids. Anything else it cannot read raises :class:`PabulibError` naming the
line and what is wrong; it never raises another exception.

What is kept where:

- every META value, as trimmed text, in ``Election.meta`` (``budget`` and the ballot limits are
  also parsed into ``Election.budget`` and ``Election.format``);
- PROJECTS ``project_id``, ``cost``, ``name``, ``category`` (a comma list) and the area column
  (``district``, else ``neighborhood``) in the :class:`Project` fields, every other column as
  text in ``Project.extra``;
- VOTES ``voter_id``, ``vote`` and ``points`` in the :class:`Ballot` fields, every other column
  as text in ``Ballot.extra``. ``points`` is read for cumulative and scoring ballots (where it
  is required) and for ordinal files that carry it (Kraków: 3,2,1); an ordinal file without it
  gives ``points=None``; in an approval or choose-1 file a ``points`` column stays in ``extra``.

A count that disagrees with META (``num_projects``, ``num_votes``) is a warning (a
:class:`Notice` in ``Election.notices``), not an error.

**A project listed twice in one vote** (``579,579,579,579`` in Częstochowa 2020, line 11740)
counts once: the ballot keeps it at its first position, and its points are the *sum* of the
points the row gives it. Each repeated project gives one ``duplicate-in-vote`` notice with the
voter id and line. Why the sum: the voter did hand out those points (the row still respects
``max_sum_points``), and it agrees with the file itself: the PROJECTS ``score`` of project 579
(5437) equals the sum over the deduplicated ballots, while keeping only the first or the
largest entry gives 5434. The file's ``votes`` column counts every repeat (704, against 701
ballots that list the project); that mismatch is reported at tally time. The file has no
``selected`` column; its official rule is greedy by score, and on this file greedy by the
counted scores gives the same projects under all three policies (first, largest, sum) as
greedy by the file's own ``score`` column (checked in the tests).

The writer (:func:`write_pb`) produces LF line endings, no BOM, exact decimals and proper CSV
quoting, and ``parse_pb(write_pb(e)) == e`` for every election the reader produces.
"""

from __future__ import annotations

import gc
from pathlib import Path

from ._pabulib_format import FORMAT_KEYS
from ._pabulib_read import Parser, format_from_meta
from ._pabulib_write import dump_pb, write_pb
from .errors import PabulibError
from .model import Election

__all__ = ["parse_pb", "read_pb", "write_pb", "dump_pb", "format_from_meta", "FORMAT_KEYS"]


def read_pb(path: str | Path) -> Election:
    """Read a ``.pb`` file (UTF-8, with or without a BOM).

    >>> from tests.data import pabulib_file
    >>> e = read_pb(pabulib_file("Netherlands_Amsterdam_643.pb"))
    >>> e.budget, len(e.projects), len(e.ballots), e.format.vote_type.value
    (5720, 3, 66, 'choose-1')
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PabulibError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = _decode(data)
    except PabulibError as exc:
        exc.args = (f"{path}: {exc.args[0]}",)
        raise
    return parse_pb(text, source=str(path))


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PabulibError(f"not UTF-8 text (byte {exc.start})", line) from None


def parse_pb(text: str, source: str | None = None) -> Election:
    """Parse the text of a ``.pb`` file.

    >>> e = parse_pb('''META
    ... key;value
    ... budget;100.50
    ... vote_type;approval
    ... PROJECTS
    ... project_id;cost;name
    ... a;60;"Park ""green""; north"
    ... b;40.25;None
    ... VOTES
    ... voter_id;vote
    ... v1;a, b
    ... v2;b,b''')
    >>> e.budget, e.projects["a"].name, e.projects["b"].cost, e.ballots[1].projects
    (Fraction(201, 2), 'Park "green"; north', Fraction(161, 4), ('b',))
    >>> [(n.code, n.line) for n in e.notices]
    [('duplicate-in-vote', 12)]
    """
    # The reader makes hundreds of thousands of small acyclic objects (tuples, dicts, ballots);
    # the cyclic garbage collector would rescan them again and again for nothing (it doubled
    # the time on Warsaw 2026), so it is paused while reading and restored afterwards. (Not
    # with counting.gc_paused: its generator allocates right after re-enabling the collector,
    # which starts the first full collection over the new election inside this call; here it
    # comes at the caller's next allocation, as it did when the benchmark figures were taken.)
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        return Parser(text).parse()
    except PabulibError as exc:
        if source:
            exc.args = (f"{source}: {exc.args[0]}",)
        raise
    finally:
        if gc_was_on:
            gc.enable()
