"""Import cycles between packages: prints every cycle and exits 1 when there is one.

Two graphs are built from the imports between the project's modules (grimp, the graph
import-linter uses; imports inside functions and under ``TYPE_CHECKING`` count too):

- packages: ``schemas``, ``extractor``, ``jixiao``, ``evals``, ``ui``, ``prompts``; an edge
  A -> B when a module of A imports a module of B;
- sub-packages: the same, with ``extractor`` and ``jixiao`` split into their children
  (``extractor.ingest``, ``jixiao.store``, ``jixiao.cli`` …; the package's ``__init__`` is the
  node ``extractor`` / ``jixiao``).

A cycle is printed with, for each edge, the module imports that make it. The layers contract
(``lint-imports``) says which direction is the right one.

    python .ci/cycles.py
"""

from __future__ import annotations

import itertools
import sys
from collections import deque
from collections.abc import Iterable, Mapping

ROOTS = ("schemas", "extractor", "jixiao", "evals", "ui", "prompts")
SPLIT = ("extractor", "jixiao")
EXAMPLES = 3  # module imports shown per edge of a cycle

Imports = Iterable[tuple[str, str]]  # (importer, imported) module names
Graph = dict[str, dict[str, list[tuple[str, str]]]]  # node -> node -> the module imports


def node_of(module: str, split: Iterable[str] = ()) -> str:
    """The package of ``module``; for a package in ``split``, its child (module or
    sub-package) holding ``module``."""
    parts = module.split(".")
    if parts[0] in split and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0]


def package_graph(imports: Imports, split: Iterable[str] = ()) -> Graph:
    """The graph between the nodes of ``node_of`` (imports inside one node left out)."""
    split = tuple(split)
    graph: Graph = {}
    for importer, imported in imports:
        a, b = node_of(importer, split), node_of(imported, split)
        graph.setdefault(a, {})
        graph.setdefault(b, {})
        if a != b:
            graph[a].setdefault(b, []).append((importer, imported))
    return graph


def components(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            members = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                members.append(w)
                if w == v:
                    break
            if len(members) > 1:
                found.append(sorted(members))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def shortest_cycle(graph: Mapping[str, Iterable[str]], start: str) -> list[str]:
    """The shortest path start -> … -> start (breadth first), ``[]`` when there is none."""
    parent: dict[str, str] = {}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w in sorted(graph.get(v, ())):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return [*reversed(path), start]
            if w not in parent:
                parent[w] = v
                queue.append(w)
    return []


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """One shortest cycle through each node of a cycle, duplicates (rotations) dropped;
    each cycle starts and ends at its smallest node."""
    seen: set[tuple[str, ...]] = set()
    found: list[list[str]] = []
    for members in components(graph):
        for node in members:
            ring = shortest_cycle(graph, node)[:-1]
            if not ring:
                continue
            i = ring.index(min(ring))
            key = tuple(ring[i:] + ring[:i])
            if key not in seen:
                seen.add(key)
                found.append([*key, key[0]])
    return found


def report(title: str, graph: Graph) -> int:
    """Print the cycles of ``graph`` (or that there is none); the number of cycles."""
    found = cycles(graph)
    edges = sum(len(targets) for targets in graph.values())
    verdict = f"{len(found)} cycle(s)" if found else "no cycle"
    print(f"== {title}: {len(graph)} nodes, {edges} edges, {verdict}")
    for ring in found:
        print("  cycle: " + " -> ".join(ring))
        for a, b in itertools.pairwise(ring):
            via = graph[a][b]
            shown = ", ".join(f"{x} -> {y}" for x, y in sorted(via)[:EXAMPLES])
            more = f" (+{len(via) - EXAMPLES} more)" if len(via) > EXAMPLES else ""
            print(f"    {a} -> {b}: {shown}{more}")
    return len(found)


def check(imports: Imports, split: Iterable[str] = SPLIT) -> int:
    """Both graphs reported; 1 when either has a cycle, else 0."""
    pairs = list(imports)
    n = report("packages", package_graph(pairs))
    n += report("sub-packages of " + ", ".join(split), package_graph(pairs, split))
    return 1 if n else 0


def project_imports(roots: Iterable[str] = ROOTS) -> list[tuple[str, str]]:
    """Every import between the modules of ``roots`` (grimp; the packages must be importable)."""
    import grimp

    graph = grimp.build_graph(*roots, cache_dir=None)
    return [
        (importer, imported)
        for importer in sorted(graph.modules)
        for imported in sorted(graph.find_modules_directly_imported_by(importer))
    ]


def main() -> int:
    return check(project_imports())


if __name__ == "__main__":
    sys.exit(main())
