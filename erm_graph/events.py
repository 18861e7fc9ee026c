"""Write events: every write to the graph is announced here, and whoever must know subscribes.

A writer wraps its write in :func:`writing`; it does not know who listens. The audit trail
(:mod:`erm_graph.auth.audit`) is the one subscriber the package installs (in
``erm_graph/__init__.py``), so no call site has to remember to audit.

A write is announced in two phases, as the audit trail needs them: subscribers hear the
:class:`WriteEvent` before anything is written (and a subscriber that cannot record it stops
the write: raising there means the block never runs), then the :class:`WriteOutcome` after,
``ok``, what the block reported, ``failed`` with the error, or ``interrupted`` (Ctrl-C). A process
killed in between leaves the first phase recorded and the second missing, which is how the
trail tells a crashed write.

Who writes is set once, where a program starts: the CLI names the OS user and the command
(``erm load``), the web app the authenticated user and the client's address, per request.
Python code that sets nobody is recorded as the OS user and the script's name.

Everything is synchronous and explicit: :data:`WRITES` is a plain :class:`WriteEvents` whose
subscriptions are undone by the function :meth:`WriteEvents.subscribe` returns, and tests can
make a bus of their own.
"""

from __future__ import annotations

import functools
import getpass
import importlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol, TypeVar


class WriteKind(StrEnum):
    """What a write does; the value is the audit trail's ``action``."""

    LOAD = "load"  # files through the loaders (CLI, Python, a web upload)
    DEMO = "demo"  # the generated demo enterprise
    IMPORT = "import"  # a whole graph from exported files
    COPY = "copy"  # a whole graph from another store
    EDIT = "edit"  # one node's properties (`erm set`, the web app's forms)
    ADD = "add"  # one new node (`erm add`, a form)
    REMOVE = "remove"  # one node and its relationships (`erm remove`)
    LINK = "link"  # one relationship made or its properties changed (`erm link`)
    UNLINK = "unlink"  # one relationship deleted (`erm unlink`)
    INTERACTION_LOG = "interaction.log"  # a call, meeting... logged from an account page
    CASE_OPEN = "case.open"  # quick actions on a case (erm_graph/edit/actions.py)
    CASE_ASSIGN = "case.assign"
    CASE_ESCALATE = "case.escalate"
    CASE_RESOLVE = "case.resolve"
    ARTICLE_ADD = "article.add"  # the solutions knowledge base (erm_graph/edit/service.py)
    ARTICLE_EDIT = "article.edit"
    ARTICLE_LINK = "article.link"
    OPPORTUNITY_OPEN = "opportunity.open"  # quick actions on an opportunity or lead
    OPPORTUNITY_ASSIGN = "opportunity.assign"
    OPPORTUNITY_ADVANCE = "opportunity.advance"
    SHARE = "share"  # a record shared with a partner (`erm share`, the Share control)
    UNSHARE = "unshare"  # a share revoked (`erm unshare`)
    TASK_ADD = "task.add"  # tasks and appointments (erm_graph/edit/agenda.py)
    TASK_ASSIGN = "task.assign"
    TASK_DONE = "task.done"
    TASK_CANCEL = "task.cancel"
    APPOINTMENT_BOOK = "appointment.book"
    APPOINTMENT_MOVE = "appointment.move"
    APPOINTMENT_CANCEL = "appointment.cancel"
    APPOINTMENT_IMPORT = "appointment.import"  # one event of an .ics file (`erm calendar import`)
    OWNER_SET = "owner.set"  # the one owner of a component (`erm owner set`, the web app)
    OWNER_CLEAR = "owner.clear"  # a component left with no owner
    CYPHER = "cypher.write"  # an ad hoc statement run with write access
    QUERY = "query.write"  # a named query whose header says read_only: false
    ANALYTICS = "analytics.write"  # derived relationships written back (KNOWS strength)
    RESET = "reset"  # the whole graph deleted (`erm reset`, store.clear())
    RESTORE = "restore"  # a whole library from a backup (`erm restore`)
    MODEL = "model.extend"  # the library's model extension kept with its data (`erm model extend`)
    MAP_RESTORE = "map.restore"  # a previous version of one map (`erm map restore`)
    MAP_EDIT = "map.edit"  # a map edited in the app, saved as its next version (`erm map edit`)
    MERGE = "merge"  # duplicate records merged into one (`erm merge`)
    MERGE_UNDO = "merge.undo"  # a merge undone (`erm merge undo`)
    ASSESS = "assess"  # a CRM maturity assessment kept (`erm assess --save`, the web app)


class Outcome(StrEnum):
    OK = "ok"
    MISMATCH = "mismatch"  # written, but the check after the write found differences
    FAILED = "failed"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class Actor:
    """Who writes (``name``) and from where (``source``: a command and pid, a web address)."""

    name: str
    source: str

    def doing(self, what: str) -> Actor:
        """The same actor, its source saying more: ``web 10.0.0.5 upload crm.csv``."""
        return replace(self, source=f"{self.source} {what}")


class Located(Protocol):
    """What a write event needs of a store: which engine, and where."""

    @property
    def engine(self) -> str: ...

    @property
    def location(self) -> str: ...


@dataclass(frozen=True)
class StoreRef:
    """The store a write goes to; subscribers find their own files from it (the audit trail
    lives beside an embedded store's data)."""

    engine: str
    location: str

    @classmethod
    def of(cls, store: Located) -> StoreRef:
        return cls(store.engine, store.location)


@dataclass(frozen=True)
class WriteEvent:
    """A write about to happen: its kind, what it writes (``target``: files, a uid, a query
    name), who and where, and what is known before (``detail``: rows to write, a node's
    values before an edit)."""

    kind: WriteKind
    target: str
    actor: Actor
    store: StoreRef
    detail: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class WriteOutcome:
    """How a write ended. ``detail`` is the event's, updated with what the writer reported
    (counts created, updated, unchanged); ``error`` is set when it failed."""

    event: WriteEvent
    outcome: Outcome
    detail: Mapping[str, object]
    error: BaseException | None = None


@dataclass
class Report:
    """What the block of :func:`writing` tells about its write, for the outcome."""

    outcome: Outcome = Outcome.OK
    detail: dict[str, object] = field(default_factory=dict)


#: what a subscriber returns on hearing an event: the callable that hears its outcome
Finish = Callable[[WriteOutcome], None]
Subscriber = Callable[[WriteEvent], Finish]

_actor: ContextVar[Actor | None] = ContextVar("erm_write_actor", default=None)
_current: ContextVar[WriteEvent | None] = ContextVar("erm_write_event", default=None)


def os_actor(program: str | None = None) -> Actor:
    """The operating-system user, acting through ``program`` (default the script's name);
    never the command line's arguments, which may hold secrets."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid {os.getuid()}"
    program = program or os.path.basename(sys.argv[0] or "python")
    return Actor(f"os:{user}", f"{program} pid {os.getpid()}")


def current_actor() -> Actor:
    """Who the writes made now are recorded as: the actor set by :func:`acting_as`, else the
    OS user and the script."""
    return _actor.get() or os_actor()


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    """Writes inside the block are made by ``actor``. Programs call it once where they
    start (the CLI's commands, the web app's requests)."""
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def set_actor(actor: Actor) -> None:
    """Name the actor for the rest of the current context, where no block can enclose the
    work: a web request's dependency, whose context ends with its request."""
    _actor.set(actor)


def subscriber_in(module: str, name: str) -> Subscriber:
    """The subscriber ``name`` of ``module``, imported when the first write is announced:
    ``import erm_graph`` subscribes the package's own without importing the packages they live
    in, so that a fresh ``erm`` process can start the engine first (docs/scaling.md)."""

    def hear(event: WriteEvent) -> Finish:
        subscriber: Subscriber = getattr(importlib.import_module(module), name)
        return subscriber(event)

    hear.__qualname__ = f"{module}.{name}"
    return hear


class WriteEvents:
    """Subscribers, told of every write in the order they subscribed."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add ``subscriber``; the function returned removes it again."""
        self._subscribers.append(subscriber)
        return functools.partial(self._subscribers.remove, subscriber)

    @contextmanager
    def writing(self, kind: WriteKind, target: str, store: Located, *,
                detail: Mapping[str, object] | None = None) -> Iterator[Report]:
        """Announce a write, run the block (the write), announce how it ended.

        Inside another write (store.clear() under `erm reset`), the block just runs: the
        enclosing write is the one recorded.
        """
        if _current.get() is not None:
            yield Report(detail=dict(detail or {}))
            return
        event = WriteEvent(kind, target, current_actor(), StoreRef.of(store),
                           MappingProxyType(dict(detail or {})))
        finishes: list[Finish] = []
        report = Report(detail=dict(event.detail))

        def finish(outcome: Outcome, error: BaseException | None = None) -> None:
            for done in reversed(finishes):
                done(WriteOutcome(event, outcome, dict(report.detail), error))

        try:
            for subscriber in list(self._subscribers):
                finishes.append(subscriber(event))
        except BaseException as exc:  # a subscriber could not record it: nothing is written
            finish(Outcome.FAILED, exc)
            raise
        token = _current.set(event)
        try:
            yield report
        except Exception as exc:
            finish(Outcome.FAILED, exc)
            raise
        except BaseException as exc:
            finish(Outcome.INTERRUPTED, exc)
            raise
        finally:
            _current.reset(token)
        finish(report.outcome)


#: the package's write events: every write path announces itself here
WRITES = WriteEvents()


def writing(kind: WriteKind, target: str, store: Located, *,
            detail: Mapping[str, object] | None = None) -> AbstractContextManager[Report]:
    """:meth:`WriteEvents.writing` on :data:`WRITES`:
    ``with writing(WriteKind.LOAD, "crm.csv", store) as report: ...``."""
    return WRITES.writing(kind, target, store, detail=detail)


_Method = TypeVar("_Method", bound=Callable[..., object])


def announced(kind: WriteKind) -> Callable[[_Method], _Method]:
    """A store method that writes the whole graph announces itself (``@announced(
    WriteKind.RESET)`` on ``clear``), so calling it from Python is audited as the CLI's
    command is. The target names the store (its location never holds a password)."""

    def wrap(method: _Method) -> _Method:
        @functools.wraps(method)
        def run(self: Located, *args: object, **kwargs: object) -> object:
            with writing(kind, f"{self.engine} at {self.location}", self):
                return method(self, *args, **kwargs)

        return run  # type: ignore[return-value]

    return wrap
