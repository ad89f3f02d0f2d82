"""The guides of each role (``docs/huong-dan``), on the screens: F1 or ? opens them.

The guides are Markdown in the repository (read by people there too); their screenshots are
taken by the browser tests (``SOHOA_UPDATE_SCREENSHOTS=1``), so they show the screens as built.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import markdown
from fastapi import APIRouter, Depends
from fastapi import Path as PathParam
from fastapi.requests import Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from markupsafe import Markup

from pipeline.review.accounts import SignedIn
from review_ui.render import render
from review_ui.security import current_user

router = APIRouter()
User = Annotated[SignedIn, Depends(current_user)]
GUIDES = Path(__file__).resolve().parents[1] / "docs" / "huong-dan"
#: the guide of each role (an arbiter reads the clerk's, which covers double keying)
GUIDE_OF = {
    "operator": "van-hanh",
    "clerk": "duyet",
    "arbiter": "duyet",
    "manager": "quan-ly",
    "admin": "quan-tri",
}
TITLES = {
    "van-hanh": "Cán bộ quét",
    "duyet": "Công chức duyệt",
    "quan-ly": "Quản lý",
    "quan-tri": "Quản trị",
}


def guide_html(name: str) -> str | None:
    """A guide rendered to HTML, its screenshots served by :func:`screenshot`; None if absent."""
    path = GUIDES / f"{name}.md"
    if name not in TITLES or not path.is_file():
        return None
    html = markdown.markdown(path.read_text(encoding="utf-8"), extensions=["fenced_code"])
    return re.sub(r'src="anh/([a-z0-9-]+\.png)"', r'src="/help/anh/\1"', html)


@router.get("/help", response_class=HTMLResponse)
def my_guide(request: Request, user: User) -> Response:
    """The guide of the signed-in user's role."""
    return _guide_page(request, user, GUIDE_OF.get(user.role, "duyet"))


@router.get("/help/{name}", response_class=HTMLResponse)
def guide(
    request: Request, user: User, name: Annotated[str, PathParam(pattern=r"^[a-z-]{1,32}$")]
) -> Response:
    """A role's guide, with the others linked."""
    return _guide_page(request, user, name)


def _guide_page(request: Request, user: SignedIn, name: str) -> Response:
    html = guide_html(name)
    if html is None:
        return render(request, "error.html", 404, user=user, message="Không có hướng dẫn này.")
    body = Markup(html)  # noqa: S704 - rendered from the repository's own Markdown
    return render(request, "help.html", user=user, body=body, guide=name, titles=TITLES)


@router.get("/help/anh/{file}")
def screenshot(
    user: User, file: Annotated[str, PathParam(pattern=r"^[a-z0-9-]{1,40}\.png$")]
) -> Response:
    """A screenshot of a guide."""
    path = GUIDES / "anh" / file
    if not path.is_file():
        return Response(status_code=404)
    return FileResponse(path, media_type="image/png")
