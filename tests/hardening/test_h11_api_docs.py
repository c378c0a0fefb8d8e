"""Item 11: /api/docs renders Swagger UI from local assets, under the same CSP, with nothing from a CDN."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, Request, expect, sync_playwright

from clausius.bootstrap import Bootstrap
from clausius.services.app import Services
from clausius.web.app import VENDOR_DIR, create_app
from clausius.web.docs import missing_assets
from clausius.web.server import build_security
from tests.api.conftest import LiveServer, serving
from tests.e2e.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

ACCESS = "docs-access-token-0123456789"
# Collected inside the page: the browser's own report of anything the CSP blocked.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run `make test` as root or apt-get install chromium")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[LiveServer]:
    with serving(tmp_path, token=ACCESS) as info:
        yield info


def _log_in(page: Page, live: LiveServer) -> None:
    page.goto(f"{live.url}/login")
    page.fill("#token", ACCESS)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live.url}/")


@pytest.mark.e2e
def test_api_docs_render_every_operation_from_local_assets_without_csp_violations(
    browser: Browser, served: LiveServer
) -> None:
    assert not missing_assets(VENDOR_DIR), "Swagger UI assets missing: run scripts/install-vendor (make install)"
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    console: list[str] = []
    foreign: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if msg.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: console.append(f"page error: {exc}"))

    def note_request(request: Request) -> None:
        if not request.url.startswith((served.url, "data:")):
            foreign.append(request.url)

    page.on("request", note_request)
    try:
        _log_in(page, served)
        page.goto(f"{served.url}/api/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("clausius", timeout=15_000)
        board = page.locator(".opblock-summary", has=page.locator(".opblock-summary-path", has_text="/api/board"))
        expect(board.first).to_be_visible()
        expect(page.locator(".opblock-summary-description", has_text="List Clusters")).to_be_visible()
        # Every operation of the OpenAPI document is listed, not only the first tag.
        with served.client(headers={"Authorization": f"Bearer {ACCESS}"}) as http:
            spec = http.get("/api/openapi.json").json()
        operations = sum(len(ops) for ops in spec["paths"].values())
        expect(page.locator(".opblock")).to_have_count(operations)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "api-docs.png"), full_page=False)

        # "Try it out" on a write goes through the CSRF check like the rest of the UI.
        team = page.locator(".opblock-post", has=page.locator(".opblock-summary-path", has_text="/api/team")).first
        team.locator(".opblock-summary").click()
        team.locator("button.try-out__btn").click()
        team.locator("textarea.body-param__text").fill('{"username": "docs-tester"}')
        team.locator("button.execute").click()
        status = team.locator(".live-responses-table tbody .response-col_status").first
        expect(status).to_have_text("201", timeout=10_000)

        violations = page.evaluate("window.__cspViolations")
    finally:
        context.close()
    assert violations == []
    assert [m for m in console if "Content Security Policy" in m or "page error" in m] == []
    assert foreign == []
    with served.client(headers={"Authorization": f"Bearer {ACCESS}"}) as http:
        assert [m["username"] for m in http.get("/api/team").json()] == ["docs-tester"]


def test_api_docs_without_installed_assets_say_how_to_install_them(tmp_path: Path) -> None:
    boot = Bootstrap(data_dir=tmp_path / "data", port=1, ssh_user="tester", ssh_key=tmp_path / "key", source_file=None)
    services = Services.open(boot)
    try:
        app = create_app(services, build_security(boot.data_dir, "127.0.0.1", ACCESS), background=[])
        app.state.vendor_dir = tmp_path / "no-vendor"  # as on a checkout where set-up has not run
        with TestClient(app, base_url="http://127.0.0.1") as http:
            response = http.get("/api/docs", headers={"Authorization": f"Bearer {ACCESS}"})
    finally:
        services.close()
    assert response.status_code == 503
    assert "make install" in response.text and "scripts/install-vendor" in response.text
    assert "swagger-ui-bundle.js" in response.text
    assert 'href="/api/openapi.json"' in response.text
    assert "cdn" not in response.text.lower() and "<script>" not in response.text
