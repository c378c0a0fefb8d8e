"""The HTTP interface: JSON API, server-rendered pages, static files."""
