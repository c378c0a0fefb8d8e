"""The interactive API documentation at /api/docs, served from local assets only.

FastAPI's built-in page loads Swagger UI from a CDN and starts it with an inline script:
the CSP (`script-src 'self'`) blocks both, so it rendered blank. Here the page loads the
pinned `swagger-ui-dist` copied into static/vendor/ at set-up (scripts/install-vendor)
and starts it from static/docs.js. When those files are missing the page says how to
install them instead of rendering nothing.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from clausius import __version__
from clausius.web.deps import SecurityDep
from clausius.web.pages import templates

router = APIRouter(include_in_schema=False)

DOCS_PATH = "/api/docs"
SWAGGER_UI_DIR = "swagger-ui"
# What docs.html loads from static/vendor/swagger-ui/.
SWAGGER_UI_FILES = ("swagger-ui-bundle.js", "swagger-ui.css")


def missing_assets(vendor_dir: Path) -> list[str]:
    """The Swagger UI files the docs page needs that are not installed under `vendor_dir`."""
    return [name for name in SWAGGER_UI_FILES if not (vendor_dir / SWAGGER_UI_DIR / name).is_file()]


@router.get(DOCS_PATH, response_class=HTMLResponse)
async def api_docs(request: Request, security: SecurityDep) -> Response:
    vendor_dir: Path = request.app.state.vendor_dir
    missing = missing_assets(vendor_dir)
    return templates.TemplateResponse(
        request,
        "docs.html",
        {
            "csrf_token": security.csrf_token,
            "version": __version__,
            "theme": "system",
            "missing": missing,
            "openapi_url": request.app.openapi_url,
        },
        # 503 when the viewer is not installed: the page works, the feature does not.
        status_code=503 if missing else 200,
        headers={"Cache-Control": "no-store"},
    )
