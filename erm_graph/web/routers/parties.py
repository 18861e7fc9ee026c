"""A party's account page (``/account/{uid}``) and its JSON (``/api/accounts/{uid}``), and
``/node/{uid}``: the one address every name and uid in the app links to, which opens a
party's account page and any other record in the explorer.

(The signed-in user's own account, login and logout, is :mod:`erm_graph.web.routers.account`.)
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from erm_graph.query.account import SECTIONS, TIMELINE_ROWS, account, is_party, party_node
from erm_graph.web.deps import Node, Store
from erm_graph.web.routers.pages import page

router = APIRouter()

Text = Annotated[str | None, Query(max_length=200)]


@router.get("/api/accounts/{uid:uid}", tags=["graph"],
            summary="A party's account: owners, people, open cases first, deals, timeline, "
                    "products, value and risk with reasons, warm paths, maps, similar")
def get_account(request: Request, store: Store, uid: str, employee: Text = None,
                kind: Text = None, channel: Text = None, product: Text = None,
                since: Text = None, until: Text = None,
                offset: Annotated[int, Query(ge=0)] = 0,
                limit: Annotated[int, Query(ge=1, le=100)] = TIMELINE_ROWS,
                sections: Annotated[list[str] | None, Query(
                    description=f"only these sections (repeated or comma-separated): "
                                f"{', '.join(SECTIONS)}; all by default")] = None,
                ) -> dict[str, Any]:
    wanted = [v for value in sections or [] for v in value.split(",") if v]
    return account(store, uid, viewer=request.state.principal, employee=employee,
                   sections=wanted or None, kind=kind, channel=channel, product=product,
                   since=since, until=until, offset=offset, limit=limit)


@router.get("/account/{uid:uid}", response_class=HTMLResponse, include_in_schema=False)
def account_page(request: Request, store: Store, uid: str) -> HTMLResponse:
    node = party_node(store, uid)
    return page(request, "account.html", uid=uid, party=node.name, active="account")


@router.get("/node/{uid:uid}", include_in_schema=False)
def node_page(uid: str, node: Node) -> RedirectResponse:
    target = (f"/account/{quote(uid, safe='/')}" if is_party(node.labels)
              else f"/explore?focus={quote(uid, safe='')}")
    return RedirectResponse(target, status_code=303)
