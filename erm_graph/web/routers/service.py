"""Customer service in the web app (docs/service.md): the solutions knowledge base (the /kb
page, search, read, add, edit and link articles), articles suggested for a case, and case
dispatch. Reading is for every role (a partner sees only what its scope holds); writing is
for the staff who work accounts (permission ``work``), audited as done by the request's
user."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from erm_graph.edit import service as edit_service
from erm_graph.query import service as reads
from erm_graph.web.deps import Store
from erm_graph.web.routers.pages import page

router = APIRouter(tags=["service"])

Text = Field(None, max_length=20_000)


@router.get("/kb", response_class=HTMLResponse, include_in_schema=False)
def kb_page(request: Request) -> HTMLResponse:
    return page(request, "kb.html", active="kb")


@router.get("/api/kb/articles", summary="Search the knowledge base (words in title, body or "
                                        "keywords; none: the newest)")
def get_articles(store: Store, q: str = Query("", max_length=reads.MAX_TEXT),
                 limit: int = Query(20, ge=1, le=200)) -> dict[str, Any]:
    return {"q": q, "words": reads.words(q), "rows": reads.search_articles(store, q,
                                                                           limit=limit)}


@router.get("/api/kb/articles/{uid:uid}", summary="One article, what it applies to and the "
                                                  "cases it solved")
def get_article(store: Store, uid: str) -> dict[str, Any]:
    return reads.article(store, uid)


class NewArticle(BaseModel):
    title: str = Field(max_length=500)
    body: str = Field(max_length=50_000)
    keywords: list[str] | str | None = Field(None, description="symptom words (a list or "
                                                               "comma-separated)")
    about: list[str] = Field(default_factory=list, max_length=50,
                             description="uids of the Products and Steps it applies to")


@router.post("/api/kb/articles", summary="Write an article (audited as article.add)")
def post_article(request: Request, body: NewArticle) -> dict[str, Any]:
    return edit_service.add_article(request.app.state.store, body.title, body.body,
                                    keywords=body.keywords, about=body.about).as_dict()


class ArticleLink(BaseModel):
    to: str = Field(min_length=1, max_length=1000,
                    description="uid of a Product or Step it applies to, or a Case it solved")
    remove: bool = False


# before the article's own route: a uid path takes the rest of the path
@router.post("/api/kb/articles/{uid:uid}/links", summary="Link an article to a product, step "
                                                         "or case (audited as article.link)")
def post_article_link(request: Request, uid: str, body: ArticleLink) -> dict[str, Any]:
    return edit_service.link_article(request.app.state.store, uid, body.to,
                                     unlink=body.remove).as_dict()


class ArticleEdit(BaseModel):
    title: str | None = Field(None, max_length=500)
    body: str | None = Field(None, max_length=50_000)
    keywords: list[str] | str | None = None


@router.post("/api/kb/articles/{uid:uid}", summary="Change an article (audited as "
                                                   "article.edit)")
def post_article_edit(request: Request, uid: str, body: ArticleEdit) -> dict[str, Any]:
    return edit_service.edit_article(request.app.state.store, uid, title=body.title,
                                     body=body.body, keywords=body.keywords).as_dict()


@router.get("/api/cases/{uid:uid}/suggestions",
            summary="Knowledge-base articles for a case: same product or step, then keywords "
                    "found in its summary")
def get_suggestions(store: Store, uid: str,
                    limit: int = Query(5, ge=1, le=50)) -> dict[str, Any]:
    return {"case": uid, "rows": reads.suggest_articles(store, uid, limit=limit)}


class Dispatch(BaseModel):
    department: str = Field(min_length=1, max_length=1000, description="uid of a Department")


@router.post("/api/cases/{uid:uid}/dispatch",
             summary="Assign a case to the least-loaded member of a department (audited as "
                     "case.assign)")
def post_dispatch(request: Request, uid: str, body: Dispatch) -> dict[str, Any]:
    return edit_service.dispatch_case(request.app.state.store, uid, body.department).as_dict()
