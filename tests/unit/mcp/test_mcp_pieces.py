"""Pure pieces behind the MCP tools: groups, state filters, error mapping, generated signatures."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from clausius.core.config_models import ClusterSpec
from clausius.core.job_states import bucket
from clausius.core.reconcile import is_incomplete_record
from clausius.errors import InvalidInput, NotAllowed, NotFound
from clausius.mcp.catalogue import GROUPS, TOOL_GROUPS, parse_groups
from clausius.mcp.toolkit import error_result, signature_from_model
from clausius.services.jobs import state_filter
from tests.unit.core.test_reconcile import sacct


def test_groups_from_the_url_or_the_default() -> None:
    assert parse_groups(None, ["jobs", "config"]) == {"jobs", "config"}
    assert parse_groups("", ["admin"]) == {"admin"}
    assert parse_groups("jobs, compute", ["config"]) == {"jobs", "compute"}
    assert parse_groups("all", []) == set(GROUPS)
    assert parse_groups("jobs,nonsense", []) == {"jobs"}
    assert parse_groups("nonsense", ["also-nonsense"]) == set(GROUPS)  # never an empty tool list
    assert set(TOOL_GROUPS.values()) <= set(GROUPS)


def test_state_filters_take_groups_and_slurm_names() -> None:
    assert state_filter(["Failed", "timeout", " RUNNING "]) == {"failed", "TIMEOUT", "running"}
    with pytest.raises(InvalidInput) as caught:
        state_filter(["SLEEPING"])
    assert caught.value.choices is not None and "OUT_OF_MEMORY" in caught.value.choices
    assert [bucket(s) for s in ("COMPLETING", "REQUEUED", "OUT_OF_MEMORY", "CANCELLED", "BOOT_FAIL", "STOPPED")] == [
        "running", "pending", "failed", "cancelled", "failed", "other",
    ]  # fmt: skip


def test_errors_become_structured_tool_results() -> None:
    unknown = error_result(NotFound("unknown cluster 'x'", hint="known clusters: a, b", choices=["a", "b"]))
    assert unknown.is_error and unknown.structured_content == {
        "error": {"code": "not_found", "message": "unknown cluster 'x'", "hint": "known clusters: a, b",
                  "choices": ["a", "b"]}
    }  # fmt: skip
    assert "known clusters: a, b" in unknown.content[0].text  # type: ignore[union-attr]
    assert error_result(NotAllowed("off")).structured_content == {"error": {"code": "not_allowed", "message": "off"}}
    assert error_result(InvalidInput("bad")).structured_content["error"]["code"] == "invalid_input"  # type: ignore[index]


def test_add_tool_signatures_follow_the_spec_model() -> None:
    signature = signature_from_model(ClusterSpec, returns=int)
    names = list(signature.parameters)
    assert set(names[:2]) == {"name", "host"}  # required first, then the optional fields
    assert set(names) == set(ClusterSpec.model_fields)
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in signature.parameters.values())
    assert (
        signature.parameters["port"].default is None and signature.parameters["name"].default is inspect.Parameter.empty
    )
    assert signature.return_annotation is int


def test_an_accounting_placeholder_is_not_a_record_to_finalise_from() -> None:
    real = sacct("42", "FAILED")
    placeholder = dataclasses.replace(real, name="allocation", partition="")
    assert not is_incomplete_record(real)
    assert is_incomplete_record(placeholder)
