"""The tree of funding histories that the runs of the add1 loop share (see ``Shared``).

``_mes_fast.run_fast`` reads and extends its ``parent``, ``paid_at`` and ``cls``."""

from __future__ import annotations

from collections import Counter
from operator import itemgetter

from ._mes_core import Prepared


class Shared:
    """Work shared by runs of MES at different per-voter budgets (the ``add1`` loop).

    Runs at nearby budgets mostly fund the same projects in the same order. Here a voter's
    class is the set of funded projects they approve (a class whose voters had to pay all
    they had simply has the value 0), so it depends only on which projects were funded so
    far, not on the amounts. So the counts of each project's supporters per class are cached
    per node of the tree of such histories, and the per-voter class array is moved between
    nodes only on a cache miss (undoing and replaying the class changes of the steps in
    between). Only the class *values* are recomputed for each budget.
    """

    def __init__(self, prep: Prepared):
        self.prep = prep
        self.parent = [0, 0]
        self.paid_at = [0, 0]
        self.cls = [1] * prep.n_active
        self.cls_node = 0
        # node -> (parent node, depth, project funded to reach it, class transitions)
        self.nodes: dict[int, tuple[int, int, int, dict[int, int]]] = {0: (-1, 0, -1, {})}
        self.children: dict[tuple[int, int], int] = {}
        self.cache: dict[int, dict[int, tuple[list[int], list[int]]]] = {0: {}}
        self.undo: dict[int, list[int]] = {}
        self.touched: set[int] = {0}
        self.next_node = 1

    def begin(self) -> None:
        self.touched = {0}

    def end(self) -> None:
        """Forget the nodes this run did not visit (but not those the class array is at)."""
        keep = self.touched | set(self._path(self.cls_node))
        for nd in [nd for nd in self.nodes if nd not in keep]:
            del self.nodes[nd]
            self.cache.pop(nd, None)
        self.children = {key: nd for key, nd in self.children.items() if nd in keep}

    def counts(self, node: int, k: int) -> tuple[list[int], list[int]]:
        """Project k's supporters per class at *node*."""
        per_node = self.cache.setdefault(node, {})
        hit = per_node.get(k)
        if hit is None:
            self._move(node)
            voters = self.prep.sup[k]  # (itemgetter reads them in one C call: see _mes_fast)
            got = itemgetter(*voters)(self.cls) if len(voters) > 1 else [self.cls[i] for i in voters]
            cnt = Counter(got)
            hit = per_node[k] = (list(cnt), list(cnt.values()))
        return hit

    def child(self, node: int, k: int, classes: list[int], depth: int):
        """The node reached from *node* by funding k, and its class transitions (each class
        of k's supporters gets a new class; created on first use)."""
        key = (node, k)
        nd = self.children.get(key)
        if nd is None:
            nd = self.next_node
            self.next_node += 1
            trans = {}
            for c in classes:
                trans[c] = len(self.parent)
                self.parent.append(c)
                self.paid_at.append(depth)
            self.nodes[nd] = (node, depth, k, trans)
            self.children[key] = nd
        self.touched.add(nd)
        return nd, self.nodes[nd][3]

    def _path(self, node: int) -> list[int]:
        out = []
        while node > 0:
            out.append(node)
            node = self.nodes[node][0]
        return out  # deepest first, root excluded

    def _move(self, target: int) -> None:
        """Put the class array in the state of *target*."""
        if self.cls_node == target:
            return
        here = self._path(self.cls_node)
        there = self._path(target)
        common = set(here) & set(there)
        cls = self.cls
        sup = self.prep.sup
        for nd in here:
            if nd in common:
                break
            old = self.undo.pop(nd)
            for i, c in zip(sup[self.nodes[nd][2]], old):
                cls[i] = c
        get = cls.__getitem__
        for nd in reversed([nd for nd in there if nd not in common]):
            members = sup[self.nodes[nd][2]]
            self.undo[nd] = list(map(get, members))
            tget = self.nodes[nd][3].__getitem__
            for i in members:
                cls[i] = tget(cls[i])
        self.cls_node = target
