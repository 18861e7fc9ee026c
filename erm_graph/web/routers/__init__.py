"""One router per resource; each is a thin layer over a library function."""

# the {uid:uid} path parameter must exist before any route that uses it is declared
from erm_graph.web import uid_path  # noqa: E402, F401
