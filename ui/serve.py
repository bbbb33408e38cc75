"""``python -m ui.serve run ui/app.py …``: Streamlit's own command line, with the media route
(``/media/<id>``: page images, downloads) served only to a logged-in browser.

Streamlit serves every ``st.image`` and ``st.download_button`` payload at ``/media/<id>`` to
anyone who asks. Before the server is built this module wraps the routes Streamlit makes for
``/media``: a request without a live login token in its ``jixiao_session`` cookie
(``ui.sessions``) gets 403 and nothing else. The app sets that cookie at login.
"""

from __future__ import annotations

import sys
from http.cookies import CookieError, SimpleCookie
from typing import Any

from ui.sessions import COOKIE, TOKENS


def token_of(cookie_header: str | None) -> str | None:
    if not cookie_header:
        return None
    try:
        jar = SimpleCookie(cookie_header)
    except CookieError:
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel else None


def guard(app: Any) -> Any:
    """An ASGI app that answers 403 unless the request carries a live login token."""

    async def guarded(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") == "http" and scope.get("method") != "OPTIONS":
            headers = dict(scope.get("headers") or [])
            cookie = headers.get(b"cookie", b"").decode("latin-1")
            if TOKENS.reviewer(token_of(cookie)) is None:
                body = "请先登录".encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 403,
                        "headers": [
                            (b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await app(scope, receive, send)

    return guarded


def install() -> None:
    """Wrap Streamlit's media routes (call before the server starts)."""
    from streamlit.web.server.starlette import starlette_app

    original = starlette_app.create_media_routes
    if getattr(original, "_jixiao_guarded", False):
        return

    def create_media_routes(*args: Any, **kwargs: Any) -> Any:
        routes = original(*args, **kwargs)
        for route in routes:
            route.app = guard(route.app)  # type: ignore[attr-defined]
        return routes

    create_media_routes._jixiao_guarded = True  # type: ignore[attr-defined]
    starlette_app.create_media_routes = create_media_routes


def main() -> None:
    install()
    from streamlit.web import cli

    sys.argv = ["streamlit", *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":
    main()
