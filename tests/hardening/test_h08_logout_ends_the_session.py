"""Item 8: sessions have an id, an expiry and server-side revocation; logout really ends one."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.api.conftest import LiveServer, serving


def _login(live: LiveServer) -> httpx.Response:
    with live.anonymous() as http:
        response = http.post("/api/login", json={"token": live.token}, headers={"Origin": live.url})
    assert response.status_code == 204
    return response


def test_the_old_cookie_stops_working_after_logout(live: LiveServer) -> None:
    cookie = _login(live).cookies["clausius_session"]
    other = _login(live).cookies["clausius_session"]
    assert cookie != other, "each login gets its own session id"
    with live.anonymous(cookies={"clausius_session": cookie}) as http:
        assert http.get("/api/clusters").status_code == 200
        out = http.post("/api/logout", headers={"X-CSRF-Token": live.csrf, "Origin": live.url})
        assert out.status_code == 204
    # A copy of the cookie kept from before the logout (what the issue found still worked):
    with live.anonymous(cookies={"clausius_session": cookie}) as http:
        assert http.get("/api/clusters").status_code == 401
    with live.anonymous(cookies={"clausius_session": other}) as http:
        assert http.get("/api/clusters").status_code == 200, "logging out one browser leaves the others"


def test_logout_everywhere_and_expiry(live: LiveServer) -> None:
    first = _login(live).cookies["clausius_session"]
    second = _login(live).cookies["clausius_session"]
    with live.anonymous(cookies={"clausius_session": first}) as http:
        everywhere = http.post(
            "/api/logout", json={"everywhere": True}, headers={"X-CSRF-Token": live.csrf, "Origin": live.url}
        )
        assert everywhere.status_code == 204
    for cookie in (first, second):
        with live.anonymous(cookies={"clausius_session": cookie}) as http:
            assert http.get("/api/clusters").status_code == 401
    with live.anonymous() as http:
        login = http.post("/api/login", json={"token": live.token}, headers={"Origin": live.url})
    max_age = int(login.headers["set-cookie"].lower().split("max-age=")[1].split(";")[0])
    assert 0 < max_age <= 30 * 24 * 3600, "a session cookie must expire"


def test_sessions_survive_a_restart_and_are_stored_hashed(tmp_path: Path) -> None:
    with serving(tmp_path) as live:
        cookie = _login(live).cookies["clausius_session"]
    assert cookie.encode() not in (tmp_path / "data" / "history.db").read_bytes()
    with serving(tmp_path) as again, again.anonymous(cookies={"clausius_session": cookie}) as http:
        assert http.get("/api/clusters").status_code == 200


def test_an_expired_session_is_refused(tmp_path: Path) -> None:
    with serving(tmp_path) as live:
        assert live.security is not None
        live.security.sessions.ttl_sec = 1
        cookie = _login(live).cookies["clausius_session"]
        with live.anonymous(cookies={"clausius_session": cookie}) as http:
            assert http.get("/api/clusters").status_code == 200
            time.sleep(1.2)
            assert http.get("/api/clusters").status_code == 401
