"""Item 12 (URLs): a URL setting that carries credentials is never shown back with them."""

from __future__ import annotations

from clausius.core.settings_registry import keep_masked_credentials
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


def test_a_masked_url_saved_back_keeps_its_credentials(live: LiveServer) -> None:
    """A form that shows the masked URL and is saved unchanged must not replace the password with ***."""
    with live.writer() as http:
        assert http.put("/api/settings/aihub_opensearch_url", json={"value": SECRET_URL}).status_code == 200
        shown = http.get("/api/settings/aihub_opensearch_url").json()["value"]
        assert http.put("/api/settings/aihub_opensearch_url", json={"value": shown}).status_code == 200
        assert live.services.settings.get_str("aihub_opensearch_url") == SECRET_URL
        moved = "https://***@other.example.org/alloc"  # another host: the old credentials do not follow
        assert http.put("/api/settings/aihub_opensearch_url", json={"value": moved}).status_code == 200
    assert live.services.settings.get_str("aihub_opensearch_url") == moved


def test_keep_masked_credentials_rule() -> None:
    stored = "https://u:p@h.example:1/x"
    assert keep_masked_credentials("https://***@h.example:1/y", stored) == "https://u:p@h.example:1/y"
    assert keep_masked_credentials("https://***@h.example:2/x", stored) == "https://***@h.example:2/x"
    assert keep_masked_credentials("https://v:q@h.example:1/x", stored) == "https://v:q@h.example:1/x"
    assert keep_masked_credentials("https://***@h.example:1/x", "https://h.example:1/x") == "https://***@h.example:1/x"
