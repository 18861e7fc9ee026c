"""Request dependencies as ``Annotated`` aliases: the app's store and settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from erm_graph import settings as config
from erm_graph.query.explore import find_node, key_label
from erm_graph.query.subgraph import GNode
from erm_graph.store import GraphStore

#: uids whose key label the app remembers (a uid keeps its label; properties are always read)
KEY_LABEL_MEMORY = 50_000


def get_store(request: Request) -> GraphStore:
    """The store this request may read: set by :func:`erm_graph.auth.web.authorize` (a
    partner's is scoped to its Party). A route that was not authorized gets none."""
    return request.state.store


def get_settings(request: Request) -> config.Settings:
    return request.app.state.settings


Store = Annotated[GraphStore, Depends(get_store)]
Settings = Annotated[config.Settings, Depends(get_settings)]


def node_of(request: Request, uid: str) -> GNode:
    """The node ``uid``, found with one index seek when its key label is remembered."""
    memory: dict[str, str] = request.app.state.key_labels
    node = find_node(get_store(request), uid, hint=memory.get(uid))
    if len(memory) >= KEY_LABEL_MEMORY:
        memory.clear()
    memory[uid] = key_label(node)
    return node


Node = Annotated[GNode, Depends(node_of)]
