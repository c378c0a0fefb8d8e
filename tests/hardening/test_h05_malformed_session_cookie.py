"""Item 5: a non-ASCII or malformed session cookie is simply not a session (401/303, never 500)."""

from __future__ import annotations

import pytest

from tests.api.conftest import LiveServer


@pytest.mark.parametrize("cookie", ['clausius_session="é"', "clausius_session=é", 'clausius_session="\\"', "=;;=x"])
@pytest.mark.parametrize("path", ["/api/health", "/login", "/api/clusters", "/"])
def test_malformed_session_cookie_is_no_session(live: LiveServer, cookie: str, path: str) -> None:
    with live.anonymous() as http:
        response = http.get(path, headers={"Cookie": cookie.encode("utf-8")}, follow_redirects=False)
    assert response.status_code < 500
    if path in ("/api/clusters", "/"):
        assert response.status_code in (401, 303)
