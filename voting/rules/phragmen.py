"""Sequential Phragmén on approval ballots, with exact loads."""

from __future__ import annotations

from array import array
from collections import Counter, deque
from fractions import Fraction
from heapq import heapify, heappop, heappush
from itertools import repeat
from math import lcm
from operator import itemgetter, setitem
from typing import Callable

from ..counting import approver_arrays, ballot_projects, share_vote_counts, unknown_project
from ..errors import RuleError
from ..model import Election, VoteType
from ..numbers import Amount, normalize
from ..outcome import Outcome
from ..tiebreak import DEFAULT_CHAINS, TieChain, TieRecord


#: From this many voters on, loads are kept per voter (a class index each) rather than as one
#: bit set per class: on the generated 1,000,000-voter election 8.24 s against 9.04 s, and
#: 8.00 s against 10.43 s with the order swapped (``benchmarks/compare.py``); below, bit sets
#: are cheap (Warsaw 2026, 61,668 voters, keeps them; the crossover was not measured).
PER_VOTER_FROM = 100_000
#: Per voter, a project with at least this many supporters per loaded class is counted with
#: bit sets (an AND and a bit count per class, about 95 us each on a million voters) rather
#: than voter by voter (about 75 ns each).
BIT_SET_PER_CLASS = 1_000


def phragmen(election: Election, *, tie_break: TieChain | None = None) -> Outcome:
    """Sequential Phragmén: voters earn money continuously; a project is bought as soon as its
    supporters together hold its cost, and they spend all they hold on it.

    Equivalently, each step selects the project with the lowest new maximum load
    ``(cost + loads of its supporters) / number of supporters``; its supporters' loads all
    become that value. Projects with equal lowest new load are tied and the chain (default
    ``cost,id``) picks one.

    Like pabutools' ``sequential_phragmen``, the rule **stops** (it does not skip) at the first
    step where a project it would buy, or any project tied with it, no longer fits in the
    budget: it is not exhaustive. Projects that cost more than the whole budget are never
    candidates, so they do not stop it. Projects with no votes and withdrawn projects are never
    candidates (pabutools funds a 0-vote project at the end if it fits; we do not).
    ``details["loads"]`` gives each selected project's load and ``details["stopped_by"]`` the
    projects that stopped the rule, if any.

    >>> from voting.model import Ballot, Election, Project
    >>> e = Election(10, {"a": Project("a", 4), "b": Project("b", 4), "c": Project("c", 6)},
    ...              [Ballot("1", ("a", "c")), Ballot("2", ("a", "c")), Ballot("3", ("b",))])
    >>> out = phragmen(e)
    >>> out.selected, out.details["loads"], out.details["stopped_by"]
    (['a', 'b'], {'a': 2, 'b': 4}, ['c'])
    """
    chain = tie_break if tie_break is not None else TieChain.parse(DEFAULT_CHAINS["phragmen"])
    vote_type = VoteType(election.format.vote_type)
    if vote_type not in (VoteType.APPROVAL, VoteType.CHOOSE_1):
        raise RuleError(
            f"rule 'phragmen' cannot count {vote_type.value} ballots; it takes approval and choose-1 ballots"
        )
    size = len(election.ballots)
    per_voter = size >= PER_VOTER_FROM
    if per_voter:
        # One class index per voter; a project's supporters are listed, and counted per
        # class with one C-level pass. On a million voters this beats bit sets, whose every
        # evaluation ANDs and counts a million bits once per class.
        sup_arrays = approver_arrays(election)  # (it names a ballot with an unknown project)
        votes = {pid: len(voters) for pid, voters in sup_arrays.items()}
    else:
        # Each project's supporters as one ASCII binary digit per ballot, then as a bit set.
        flags = {pid: bytearray(b"0" * size) for pid in election.projects}
        i = -1
        try:
            for i, projects in enumerate(ballot_projects(election)):
                for pid in projects:
                    flags[pid][i] = _ONE  # plain subscripts: the cheapest form measured
        except KeyError as exc:
            raise unknown_project(election, exc.args[0], i) from None
        bit_sets = {pid: int(row, 2) if size else 0 for pid, row in flags.items()}
        del flags
        votes = {pid: voters.bit_count() for pid, voters in bit_sets.items()}
    share_vote_counts(election, votes)  # the column check after the rule needs them too
    costs = {pid: p.cost for pid, p in election.projects.items()}
    budget = election.budget
    remaining = [
        pid
        for pid, p in election.projects.items()
        if votes[pid] > 0 and not p.is_withdrawn and p.cost <= budget
    ]
    if per_voter:
        # (arrays of machine integers: a list points to one int object per voter, spread over
        # the heap, and a thinly spread project's supporters were counted at about 300 ns
        # each; from an array, with the classes in a bytearray (below), about 75 ns. On the
        # generated 1,000,000-voter election, runs alternated in one process: 4.94 s
        # against 8.79 s)
        supporters = {pid: sup_arrays[pid] for pid in remaining}
    else:
        supporters = bit_sets

    # Exact integers: costs are scaled by their common denominator, and loads are numerators
    # over one common denominator `den`, widened when a new load needs it.
    scale = 1
    for amount in [budget, *(costs[pid] for pid in remaining)]:
        if isinstance(amount, Fraction):
            scale = lcm(scale, amount.denominator)
    cost_num = {pid: int(costs[pid] * scale) for pid in remaining}
    den = 1
    # Voters who share a load form a class: the supporters of a selected project all move to a
    # new class with its load. Classes are bit sets over voters; voters never loaded carry 0
    # and need no class.
    classes: dict[int, int] = {}  # load numerator over den -> voters carrying that load
    # A project's new load only grows as voters get loaded, so an old value is a lower bound:
    # a heap of bounds gives the projects to recompute, lowest first, until the next bound
    # exceeds the lowest exact load found. The heap is ordered by an integer key, the bound
    # rounded down to 64 binary places (_floor_key, cheap to compare); popping every entry
    # whose key is at most the key of the lowest exact load pops every entry whose bound is at
    # most that load.
    bounds = [(_floor_key(cost_num[pid], votes[pid]), pid) for pid in remaining]
    heapify(bounds)

    # Per voter (large electorates): cls[i] is voter i's class, levels[c] class c's load
    # numerator over den (class 0: never loaded). One byte per voter while there are at most
    # 256 classes: a million voters' classes then fit in 1 MB, where a list takes 8 MB of
    # pointers that a thinly spread project's supporters read in scattered places.
    cls = bytearray(size) if per_voter else bytearray()
    levels = [0]

    # carried(pid): the loads the supporters of pid carry now, in all, as a numerator over den.
    if per_voter:
        # Besides the class of each voter, each loaded class as a bit set over voters
        # (class_bits[c], for c >= 1; class 0 carries no load). A project with many
        # supporters per class is counted with one AND per class instead of voter by voter.
        class_bits: dict[int, int] = {}
        project_bits: dict[str, int] = {}
        # Voter by voter, a project's supporters are read with an itemgetter kept per project:
        # it holds their indices as int objects made together (contiguous in memory) and
        # reads every class in one C call.
        getters: dict[str, Callable] = {}

        def bits(pid: str) -> int:
            got = project_bits.get(pid)
            if got is None:
                got = project_bits[pid] = _bit_set(supporters[pid], size)
            return got

        def carried(pid: str) -> int:
            if not class_bits:
                return 0  # nobody carries a load yet
            total = 0
            voters = supporters[pid]
            if len(voters) >= BIT_SET_PER_CLASS * len(class_bits):
                mine = bits(pid)
                for c, members in class_bits.items():
                    total += (mine & members).bit_count() * levels[c]
                return total
            get = getters.get(pid)
            if get is None:
                get = getters[pid] = itemgetter(*voters) if len(voters) > 1 else _one(voters[0])
            for c, count in Counter(get(cls)).items():
                total += count * levels[c]
            return total
    else:
        def carried(pid: str) -> int:
            total = 0
            mine = supporters[pid]
            for level, voters in classes.items():
                if shared := mine & voters:  # (about half the classes share none on Amsterdam 166)
                    total += shared.bit_count() * level
            return total

    selected: list[str] = []
    loads: dict[str, Amount] = {}
    ties: list[TieRecord] = []
    stopped_by: list[str] = []
    spent: Amount = 0
    while bounds:
        # Within a step every new load is num / (den * votes), so loads compare as num / votes
        # by cross-multiplying plain integers. Their floor keys compare first: unequal keys
        # order the loads the same way, and only equal keys need the exact comparison.
        tied: list[str] = []
        best_num = best_votes = best_key = 0
        fresh: list[tuple[int, str]] = []  # the projects recomputed, with their new keys
        while bounds and (not tied or bounds[0][0] <= best_key):
            pid = heappop(bounds)[1]
            num = cost_num[pid] * den + carried(pid)
            n_votes = votes[pid]
            key = _floor_key(num, den * n_votes)
            fresh.append((key, pid))
            if not tied or key < best_key or (key == best_key and num * best_votes < best_num * n_votes):
                best_num, best_votes, best_key, tied = num, n_votes, key, [pid]
            elif key == best_key and num * best_votes == best_num * n_votes:
                tied.append(pid)
        too_costly = [pid for pid in tied if spent + costs[pid] > budget]
        if too_costly:
            stopped_by = sorted(too_costly)
            break
        if len(tied) > 1:
            record = chain.decide(tied, costs, votes, f"phragmen step {len(selected) + 1}")
            ties.append(record)
            chosen = record.chosen
        else:
            chosen = tied[0]
        for entry in fresh:
            if entry[1] != chosen:
                heappush(bounds, entry)

        load = Fraction(best_num, den * best_votes)
        wider = lcm(den, load.denominator) // den
        den *= wider
        new = load.numerator * (den // load.denominator)
        if per_voter:
            if wider > 1:
                levels = [level * wider for level in levels]
            levels.append(new)
            if len(levels) == 257 and type(cls) is bytearray:  # a class index over 255
                cls = array("I", list(cls))  # (from a bytearray itself it would read raw bytes)
            deque(map(setitem, repeat(cls), supporters[chosen], repeat(len(levels) - 1)), maxlen=0)
            loaded = bits(chosen)
            project_bits.pop(chosen)  # (never counted again)
            unloaded = ~loaded
            class_bits = {c: rest for c, members in class_bits.items() if (rest := members & unloaded)}
            class_bits[len(levels) - 1] = loaded
        else:
            # The chosen project's supporters leave their classes (a class left empty goes)
            # for the new one; the other levels are rewritten over the wider den.
            loaded = supporters[chosen]
            unloaded = ~loaded
            classes = {
                level * wider: rest for level, voters in classes.items() if (rest := voters & unloaded)
            }
            classes[new] = classes.get(new, 0) | loaded
        selected.append(chosen)
        loads[chosen] = normalize(load / scale if scale != 1 else load)
        spent += costs[chosen]

    return Outcome(
        rule="phragmen",
        parameters={"tie_break": str(chain)},
        budget=budget,
        selected=selected,
        total_cost=normalize(Fraction(spent)),
        votes=votes,
        ties=ties,
        details={"loads": loads, "stopped_by": stopped_by},
    )


def _bit_set(voters, size: int) -> int:
    """The voters (indices below *size*) as a bit set: voter i is bit ``size - 1 - i``."""
    flags = bytearray(b"0") * size
    deque(map(setitem, repeat(flags), voters, repeat(_ONE)), maxlen=0)
    return int(flags, 2)


def _one(voter: int) -> Callable:
    """As ``itemgetter`` of several voters, for one voter: a 1-tuple."""
    return lambda seq: (seq[voter],)


def _floor_key(num: int, den: int) -> int:
    """``num / den`` rounded down to 64 binary places, as an int (as ``Ratio.floor_key``): it is
    monotone, so a smaller key means a smaller value, and equal keys need an exact look."""
    return (num << 64) // den


#: The ASCII digit 1, marking a supporter in a project's row of base-2 digits.
_ONE = ord("1")
