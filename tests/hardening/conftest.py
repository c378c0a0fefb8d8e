"""The hardening tests use the API tests' live server."""

from tests.api.conftest import live  # noqa: F401 - a fixture, used by name
