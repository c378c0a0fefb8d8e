"""`clausius log` and `clausius stats` in a subprocess: bad input is one `error:` line with the right exit code."""

from __future__ import annotations

import pytest

from tests.cli.conftest import Cli, assert_error


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("log", "local", "12", "--bytes", "0"), ("--bytes", "1<=x<=1048576")),
        (("log", "local", "12", "--bytes", "2000000"), ("--bytes",)),
        (("log", "local", "12", "--before", "-1"), ("--before",)),
        (("log", "local", "12", "--list", "--path", "/etc/passwd"), ("--list cannot be combined",)),
        (("log", "local", "pid-77"), ("logs of local processes are not tracked",)),
        (("stats", "local", "pid-77"), ("local process",)),
        (("log", "local", "12;ls"), ("invalid job id", "12;ls")),
        (("stats", "local", "--", "-5"), ("invalid job id",)),
    ],
)
def test_bad_input_exits_2_with_one_error_line(cli: Cli, args: tuple[str, ...], fragments: tuple[str, ...]) -> None:
    assert_error(cli(*args), 2, *fragments)


def test_unknown_cluster_exits_1(cli: Cli) -> None:
    assert_error(cli("log", "nope", "12"), 1, "unknown cluster 'nope'", "known clusters: local")
    assert_error(cli("stats", "nope", "12", "--json"), 1, "unknown cluster 'nope'")


def test_help_names_the_options(cli: Cli) -> None:
    text = cli.ok("log", "--help").stdout
    for option in ("--path", "--bytes", "--before", "--list", "--json"):
        assert option in text
    assert "--json" in cli.ok("stats", "--help").stdout
