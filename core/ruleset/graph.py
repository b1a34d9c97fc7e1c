"""Dependency graphs of a ruleset: cycles found at load time, evaluation order fixed once.

Indicators read indicators, school rules read school rules and indicators,
county items read county items, score nodes have parents. Each of these graphs
is checked when the ruleset compiles: a cycle is a located ``RulesetError``
naming every rule in it (``x → y → x``), so evaluation never recurses without
end or meets a name that is not computed yet. Walks are iterative: a hostile
ruleset with hundreds of chained rules cannot exhaust the stack.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["find_cycles", "order"]


def find_cycles(deps: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Every cycle among the nodes of ``deps`` (node → the nodes it reads), as the path
    ``[a, b, …, a]`` starting at the first node (in declaration order) on it; each
    cycle once. Dependencies on names that are not nodes are ignored."""
    edges = {n: [d for d in dict.fromkeys(ds) if d in deps] for n, ds in deps.items()}
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    cycles: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    for root in edges:
        if state.get(root):
            continue
        path: list[str] = [root]
        stack = [iter(edges[root])]
        state[root] = 1
        while stack:
            child = next(stack[-1], None)
            if child is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            if state.get(child) == 1:
                loop = [*path[path.index(child) :], child]
                key = frozenset(loop)
                if key not in seen:
                    seen.add(key)
                    cycles.append(loop)
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append(iter(edges[child]))
    return cycles


def order(deps: Mapping[str, Iterable[str]]) -> list[str]:
    """The nodes, each after the nodes it reads, otherwise in declaration order
    (for an acyclic graph; nodes on a cycle come where the walk first meets them)."""
    edges = {n: sorted(d for d in set(ds) if d in deps) for n, ds in deps.items()}
    done: list[str] = []
    placed: set[str] = set()
    for root in edges:
        if root in placed:
            continue
        placed.add(root)
        path = [root]
        stack = [iter(edges[root])]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                done.append(path.pop())
                stack.pop()
            elif child not in placed:
                placed.add(child)
                path.append(child)
                stack.append(iter(edges[child]))
    return done
