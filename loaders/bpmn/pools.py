"""Which pools of a BPMN collaboration are the enterprise, and so which are the outside world.

A diagram shows one side as ours and the others as parties, but BPMN has no attribute that
says which: the person loading names theirs (``--our-pool``), or the loader takes the pool the
diagram is drawn around. The choice is noted whenever it was not obvious, with the option that
changes it.
"""

from __future__ import annotations

from erm_graph.errors import shown
from erm_graph.ingest.contract import LoaderResult

from .diagram import Diagram, Pool, clean


def our_pools(d: Diagram, wanted: tuple[str, ...], result: LoaderResult) -> list[Pool]:
    """The pools that are our enterprise.

    Named ones (``--our-pool``: a pool's name, case and spacing aside, or its id, or its
    process's name or id) when the file has any of them; else the pool with the most steps,
    the first of those on a tie: a diagram is drawn around the process it documents, and
    the other pools, black boxes or with the partner's side drawn, are the outside world.
    A file without pools has no outside: all its processes are ours.
    """
    if not d.pools:
        return []
    names = {(clean(w) or "").casefold() for w in wanted}
    named = [p for p in d.pools if names & {k.casefold() for k in _pool_keys(d, p)}]
    if named:
        return named
    if wanted:
        result.note(f"no pool named {', '.join(shown(w) for w in wanted)} (--our-pool): the "
                    "pool with the most steps is taken as ours")
    drawn = [p for p in d.pools if p.process in d.processes and d.processes[p.process].nodes]
    if not drawn:
        return []
    ours = max(drawn, key=lambda p: len(d.processes[p.process or ""].nodes))
    if len(drawn) > 1:
        result.note(f"{len(drawn)} pools have a process: took {shown(_label(d, ours))}, the one "
                    "with the most steps, as ours and the others as outside parties; name "
                    "our pools with --our-pool to choose")
    return [ours]


def _pool_keys(d: Diagram, pool: Pool) -> list[str]:
    process = d.processes.get(pool.process or "")
    keys = [pool.name, pool.id, pool.process, process.name if process else None]
    return [k for k in keys if k]


def _label(d: Diagram, pool: Pool) -> str:
    return next(iter(_pool_keys(d, pool)), "?")
