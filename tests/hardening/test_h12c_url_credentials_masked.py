"""Item 12 (URLs): a URL setting that carries credentials is never shown back with them."""

from __future__ import annotations

from tests.api.conftest import LiveServer

SECRET_URL = "https://svc-user:hunter2-pass@search.example.org:9200/alloc"


def test_url_credentials_are_masked_in_settings_config_and_audit(live: LiveServer) -> None:
    with live.writer() as http:
        saved = http.put("/api/settings/aihub_opensearch_url", json={"value": SECRET_URL})
        assert saved.status_code == 200
        bodies = [
            saved.text,
            http.get("/api/settings").text,
            http.get("/api/settings/aihub_opensearch_url").text,
            http.get("/config").text,
            http.get("/api/audit").text,
        ]
    assert live.services.settings.get_str("aihub_opensearch_url") == SECRET_URL  # stored as typed, for use
    for body in bodies:
        assert "hunter2-pass" not in body and "svc-user" not in body
    assert "https://***@search.example.org:9200/alloc" in bodies[2]
