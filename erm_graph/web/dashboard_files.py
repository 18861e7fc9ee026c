"""Dashboards defined as files: a YAML file per dashboard, each tile a named query with its
parameters and the chart (or table) that shows it.

The shipped ones live in ``erm_graph/web/dashboards/`` (one per role); an admin adds more, or
replaces a shipped one of the same name, by dropping ``NAME.yaml`` into the folder the
``ERM_WEB_DASHBOARDS`` setting names, with no code::

    title: Relationship officer
    description: My customers at risk and what nobody owns.
    audience: [relationship officer]
    tiles:
      - query: at-risk-customers          # a named query (`erm query list`)
        params: {min_risk: 0.4, limit: 10}
        title: Customers at risk          # default: the query's title
        show: chart                       # chart (default when it has one) or table
        columns: [name, risk]             # a table's columns, in order (default: all)
        chart: {kind: bar, x: name, y: [risk]}   # default: the query's `chart:` header
      - query: open-cases
        params: {owner: $me}                # the signed-in user's Employee uid
        title: My open cases

Every file is checked when the page asks for it: a query that does not exist, a parameter it
does not take or of the wrong type, a chart naming a column the query does not return, all
with the file and tile. A dashboard is a page, ``/dashboard/NAME``, so its URL is its share.

A parameter given as ``$me`` (:data:`erm_graph.auth.me.ME`, a string parameter only) takes the
signed-in user's Employee uid, bound by the server when it renders the page
(:func:`erm_graph.auth.me.signed_in_employee`): each officer sees their own. For a user linked
to no employee (and for every partner) such a tile runs nothing and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from erm_graph.auth.me import ME
from erm_graph.errors import ErmError
from erm_graph.ingest.untrusted import LoadError
from erm_graph.ingest.yaml_reader import files_by_name, read_spec
from erm_graph.query import load_library
from erm_graph.query.charts import Chart, parse_chart, return_columns
from erm_graph.query.library import ParameterError, UnknownQuery, strip_literals
from erm_graph.strategy.tiles import PANELS

SHIPPED = Path(__file__).parent / "dashboards"
#: a dashboard file larger than this is not a dashboard
MAX_BYTES = 64_000


class DashboardError(ErmError):
    kind = "query_library"


class UnknownDashboard(DashboardError):
    kind = "not_found"


class TileFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str | None = None
    #: a strategy tile instead of a query (erm_graph.strategy.tiles.PANELS)
    panel: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    title: str | None = None
    show: Literal["chart", "table"] | None = None
    chart: dict[str, Any] | None = None
    columns: list[str] | None = Field(default=None, min_length=1)


class DashboardFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1)
    description: str = ""
    audience: list[str] = Field(default_factory=list)
    tiles: list[TileFile] = Field(min_length=1, max_length=24)


@dataclass(frozen=True)
class Tile:
    """One checked tile: what the page runs and how it shows it."""

    query: str
    title: str
    params: dict[str, str]
    chart: Chart | None
    #: the parameters that take the signed-in user's Employee uid (``$me`` in the file)
    mine: tuple[str, ...] = ()
    #: the columns a table tile shows, in order (all when empty)
    columns: tuple[str, ...] = ()
    #: a strategy tile's name (its rows from /api/strategy/tiles/NAME), else None
    panel: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The tile as its file says it (``$me`` unresolved)."""
        return {"query": self.query, "title": self.title, "params": self.params,
                "chart": self.chart.as_json() if self.chart else None, "mine": list(self.mine),
                "columns": list(self.columns) or None, "panel": self.panel}

    def for_user(self, employee: str | None, unlinked: str) -> dict[str, Any]:
        """The tile as the page runs it for the user whose Employee uid is ``employee``:
        ``$me`` replaced by it. A tile that needs one when there is none runs nothing and
        carries ``unlinked``, the sentence that says so."""
        out = self.as_json()
        if self.mine and not employee:
            return {**out, "params": {k: v for k, v in self.params.items() if k not in self.mine},
                    "unlinked": unlinked}
        return {**out, "params": {k: employee if k in self.mine else v
                                  for k, v in self.params.items()}}


@dataclass(frozen=True)
class Dashboard:
    name: str
    title: str
    description: str
    audience: tuple[str, ...]
    tiles: tuple[Tile, ...]
    path: Path


def dashboard_files(extra: Path | None) -> dict[str, Path]:
    """Name -> file of every dashboard: the shipped ones and the admin's folder's."""
    return files_by_name(SHIPPED, extra)


def load_dashboard(name: str, extra: Path | None) -> Dashboard:
    """The dashboard ``name``, checked, or a :class:`DashboardError` naming file and tile."""
    files = dashboard_files(extra)
    if name not in files:
        raise UnknownDashboard(f"no dashboard {name!r}; there are: {', '.join(files) or 'none'}")
    return read_dashboard(files[name])


def _panel_tile(at: str, tile: TileFile, tiles: list[Tile], problems: list[str]) -> None:
    """A strategy tile: its rows come from the strategy modules, its columns are fixed."""
    panel = PANELS.get(str(tile.panel))
    if panel is None:
        problems.append(f"{at}.panel: no strategy tile {tile.panel!r}; there are: "
                        f"{', '.join(PANELS)}")
        return
    if tile.params:
        problems.append(f"{at}.params: a panel takes no parameters")
    returned = list(panel.columns)
    chart = (parse_chart(f"{at}.chart", tile.chart, returned, problems)
             if tile.chart is not None and tile.show != "table" else None)
    unknown = [c for c in tile.columns or () if c not in returned]
    if unknown:
        problems.append(f"{at}.columns: {', '.join(map(repr, unknown))} not returned by the "
                        f"panel {tile.panel!r}; its columns: {', '.join(returned)}")
    tiles.append(Tile(query="", title=tile.title or panel.title, params={}, chart=chart,
                      columns=tuple(tile.columns or ()), panel=tile.panel))


def read_dashboard(path: Path) -> Dashboard:
    where = str(path)
    try:
        spec = read_spec(path, DashboardFile, MAX_BYTES)
    except LoadError as exc:
        raise DashboardError(str(exc)) from None
    library = load_library()
    problems = []
    tiles: list[Tile] = []
    for i, tile in enumerate(spec.tiles):
        at = f"{where}: tiles[{i}]"
        if (tile.query is None) == (tile.panel is None):
            problems.append(f"{at}: give either query (a named query) or panel (one of "
                            f"{', '.join(PANELS)})")
            continue
        if tile.panel is not None:
            _panel_tile(at, tile, tiles, problems)
            continue
        mine = tuple(k for k, v in tile.params.items() if v == ME)
        try:
            query = library.get(str(tile.query))
            texts = {k: query.params[k].text(v) if k in query.params else str(v)
                     for k, v in tile.params.items()}
            for k in mine:
                if k in query.params and query.params[k].type != "string":
                    raise ParameterError(f"parameter {k!r} of {query.name!r} is "
                                         f"{query.params[k].type}: {ME} (an employee's uid) "
                                         f"fits a string parameter only")
            query.bind(query.parse({k: "emp" if k in mine else v for k, v in texts.items()}))
        except (UnknownQuery, ParameterError) as exc:
            problems.append(f"{at}: {exc}")
            continue
        chart = query.chart
        returned = return_columns(strip_literals(query.cypher))
        if tile.chart is not None:
            chart = parse_chart(f"{at}.chart", tile.chart, returned, problems)
        unknown = [c for c in tile.columns or () if c not in returned]
        if unknown:
            problems.append(f"{at}.columns: {', '.join(map(repr, unknown))} not returned by "
                            f"{query.name!r}; its columns: {', '.join(returned)}")
        tiles.append(Tile(query=query.name, title=tile.title or query.title,
                          params=texts, mine=mine, columns=tuple(tile.columns or ()),
                          chart=None if tile.show == "table" else chart))
    if problems:
        raise DashboardError("\n".join(problems))
    return Dashboard(name=path.stem, title=spec.title, description=spec.description,
                     audience=tuple(spec.audience), tiles=tuple(tiles), path=path)

