"""A database URL, parsed once: which engine, and where.

=========================  ==========================================================
URL                         engine
=========================  ==========================================================
``embedded:``               FalkorDB child server in the default data directory
``embedded:DIR``            the same, in DIR (``~`` is the home folder)
``falkordb://host:port``    a FalkorDB server, graph ``erm`` (or ``/graph`` after the port)
``bolt://``, ``neo4j://``,  Neo4j 5 / Aura (the password comes from ``ERM_NEO4J_PASSWORD``,
``neo4j+s://``, ...         never from the URL)
=========================  ==========================================================

Everything that needs to know what a URL names (the store opener, where the users file lives,
``erm repair``) asks a :class:`DatabaseURL` rather than splitting the text again. Its ``str``
is safe to print: a password in it is replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from erm_graph.errors import ConfigError

NEO4J_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
FALKORDB_PORT = 6379
FALKORDB_GRAPH = "erm"


def redact(text: str) -> str:
    """``text`` (a URL) with any password replaced, for messages and logs."""
    try:
        password = urlsplit(text).password
    except ValueError:  # not a URL at all (an invalid port, a stray bracket)
        return text
    return text.replace(f":{password}@", ":***@") if password else text


@dataclass(frozen=True, repr=False)
class DatabaseURL:
    """A parsed database URL. ``text`` is the URL as given (for drivers); print the object
    itself, which hides any password."""

    text: str
    scheme: str
    #: ``embedded:DIR``: DIR; None for ``embedded:`` (the default data directory) and servers
    directory: Path | None = None
    host: str = ""
    port: int = 0
    #: the graph of a ``falkordb://`` server
    graph: str = ""

    @classmethod
    def parse(cls, text: str) -> DatabaseURL:
        """The URL ``text``; :class:`ConfigError` (the URL redacted) when no engine takes it."""
        scheme = text.split(":", 1)[0].lower() if ":" in text else ""
        if scheme == "embedded":
            folder = text.split(":", 1)[1]
            return cls(text, scheme, Path(folder).expanduser() if folder else None)
        if scheme == "falkordb" or scheme in NEO4J_SCHEMES:
            try:
                parts = urlsplit(text)
                port = parts.port
            except ValueError as exc:
                raise ConfigError(f"database URL {redact(text)!r}: {exc}") from None
            if scheme == "falkordb":
                return cls(text, scheme, host=parts.hostname or "localhost",
                           port=port or FALKORDB_PORT,
                           graph=parts.path.strip("/") or FALKORDB_GRAPH)
            if parts.password:
                raise ConfigError("put the Neo4j password in ERM_NEO4J_PASSWORD, not in the URL")
            return cls(text, scheme, host=parts.hostname or "", port=port or 0)
        raise ConfigError(f"unknown database URL {redact(text)!r}: use embedded:[DIR], "
                          "falkordb://host:port or bolt:// / neo4j:// / neo4j+s://host:port")

    @property
    def engine(self) -> str:
        """``embedded``, ``falkordb`` or ``neo4j``: the engine the URL names."""
        return "neo4j" if self.scheme in NEO4J_SCHEMES else self.scheme

    def data_dir(self, default: Path) -> Path:
        """Where an ``embedded:`` URL keeps its data: its folder, else ``default``."""
        if self.engine != "embedded":
            raise ConfigError(f"{self} is not an embedded database (embedded:[DIR])")
        return self.directory or default

    def __str__(self) -> str:
        return redact(self.text)

    def __repr__(self) -> str:
        return f"DatabaseURL({str(self)!r})"
