"""The history API over real HTTP: filters as query parameters, errors, project summaries, clean-up."""

from __future__ import annotations

from typing import Any

from clausius.store import jobs_repo
from tests.api.conftest import LiveServer
from tests.jobrows import past_job


def _seed(live: LiveServer) -> None:
    rows = [
        past_job("eos", "101", "COMPLETED", 40, project="alpha", name="alpha_lr_train", partition="batch"),
        past_job("eos", "102", "FAILED", 3, project="alpha", name="alpha_lr_eval", partition="batch"),
        past_job("eos", "103", "TIMEOUT", 2, project="alpha", name="alpha_wd_train", partition="debug"),
        past_job("eos", "104", "RUNNING", 0, project="beta", name="beta_x_y"),
        past_job("draco", "201", "CANCELLED", 50, name="100%_sure"),
        past_job("draco", "202", "FAILED", 60, pinned=True),
    ]
    live.services.db.write_sync(lambda c: jobs_repo.upsert(c, rows))


def _ids(body: dict[str, Any]) -> list[str]:
    return [j["job_id"] for j in body["jobs"]]


def test_query_parameters_filter_page_and_order(live: LiveServer) -> None:
    _seed(live)
    with live.writer() as http:
        assert http.post("/api/projects", json={"name": "alpha"}).status_code == 201
        everything = http.get("/api/history").json()
        assert everything["total"] == 6 and everything["next_offset"] is None
        assert _ids(everything) == ["104", "103", "102", "101", "201", "202"]  # newest activity first

        failed = http.get("/api/history", params=[("state", "failed"), ("state", "TIMEOUT")]).json()
        assert sorted(_ids(failed)) == ["102", "103", "202"]
        assert _ids(http.get("/api/history", params={"state": "failed,timeout", "cluster": "eos"}).json()) == [
            "103",
            "102",
        ]
        assert _ids(http.get("/api/history", params={"project": "alpha", "partition": "debug"}).json()) == ["103"]
        assert _ids(http.get("/api/history", params={"search": "LR_"}).json()) == ["102", "101"]
        assert _ids(http.get("/api/history", params={"search": "%"}).json()) == ["201"]
        assert _ids(http.get("/api/history", params={"search": "202"}).json()) == ["202"]
        assert sorted(_ids(http.get("/api/history", params={"days": 7}).json())) == ["102", "103", "104"]

        first = http.get("/api/history", params={"limit": 4}).json()
        assert (len(first["jobs"]), first["total"], first["next_offset"]) == (4, 6, 4)
        rest = http.get("/api/history", params={"limit": 4, "offset": first["next_offset"]}).json()
        assert _ids(rest) == ["201", "202"] and rest["next_offset"] is None

        job = http.get("/api/history/eos/103").json()
        assert job["state"] == "TIMEOUT" and job["project"] == "alpha" and job["partition"] == "debug"


def test_errors_are_404_and_422_with_one_clear_message(live: LiveServer) -> None:
    _seed(live)
    with live.client() as http:
        missing = http.get("/api/history/eos/999")
        assert missing.status_code == 404
        assert missing.json()["error"] == "job 999 on cluster 'eos' is not in the history"
        unknown_cluster = http.get("/api/history", params={"cluster": "nope"})
        assert unknown_cluster.status_code == 404
        assert unknown_cluster.json()["error"] == "unknown cluster 'nope'; known clusters: draco, eos, local"
        assert http.get("/api/history", params={"project": "nope"}).status_code == 404

        bad_state = http.get("/api/history", params={"state": "finished"})
        assert bad_state.status_code == 422
        assert bad_state.json()["error"].startswith("states: unknown state 'finished'; valid: ")
        assert "COMPLETED" in bad_state.json()["error"]
        for params in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"days": 0}, {"limit": "many"}):
            response = http.get("/api/history", params=params)
            assert response.status_code == 422, params
            assert next(iter(params)) in response.json()["error"]


def test_project_summaries_and_project_jobs(live: LiveServer) -> None:
    _seed(live)
    with live.writer() as http:
        for name in ("alpha", "beta", "gamma"):
            assert http.post("/api/projects", json={"name": name}).status_code == 201
    with live.client() as http:
        summaries = {s["name"]: s for s in http.get("/api/history/projects").json()}
        assert set(summaries) == {"alpha", "beta", "gamma"}
        alpha = summaries["alpha"]
        assert (alpha["jobs_total"], alpha["completed"], alpha["failed"], alpha["running"]) == (3, 1, 2, 0)
        assert summaries["beta"]["running"] == 1 and summaries["gamma"]["jobs_total"] == 0

        page = http.get("/api/history/projects/alpha/jobs", params={"limit": 2}).json()
        assert _ids(page) == ["103", "102"] and page["total"] == 3 and page["next_offset"] == 2
        assert http.get("/api/history/projects/alpha/jobs", params={"cluster": "draco"}).json()["total"] == 0
        unknown = http.get("/api/history/projects/alfa/jobs")
        assert unknown.status_code == 404
        assert unknown.json()["error"] == "unknown project 'alfa'; known projects: alpha, beta, gamma"


def test_cleanup_is_a_dry_run_unless_asked_and_is_audited(live: LiveServer) -> None:
    _seed(live)
    with live.writer() as http:
        dry = http.post("/api/history/cleanup", json={"older_than_days": 30})
        assert dry.status_code == 200, dry.text
        assert dry.json()["matched"] == 2 and dry.json()["deleted"] == 0 and dry.json()["dry_run"] is True
        assert http.get("/api/history").json()["total"] == 6

        assert http.post("/api/history/cleanup", json={"older_than_days": 0}).status_code == 422
        running = http.post("/api/history/cleanup", json={"older_than_days": 30, "states": ["RUNNING"]})
        assert running.status_code == 422 and "only finished jobs" in running.json()["error"]
        extra = http.post("/api/history/cleanup", json={"older_than_days": 30, "everything": True})
        assert extra.status_code == 422 and "everything: unknown field" in extra.json()["error"]

        done = http.post("/api/history/cleanup", json={"older_than_days": 30, "cluster": "eos", "dry_run": False})
        assert done.status_code == 200, done.text
        assert (done.json()["matched"], done.json()["deleted"], done.json()["cluster"]) == (1, 1, "eos")
        remaining = _ids(http.get("/api/history").json())
        assert "101" not in remaining and {"201", "202"} <= set(remaining)  # other cluster and pinned job stay

        audit = [e for e in http.get("/api/audit").json() if e["action"] == "cleanup_history"]
        assert len(audit) == 1 and audit[0]["interface"] == "web" and audit[0]["target"] == "eos"


def test_cleanup_without_csrf_is_refused_and_deletes_nothing(live: LiveServer) -> None:
    _seed(live)
    with live.client() as http:
        refused = http.post("/api/history/cleanup", json={"older_than_days": 1, "dry_run": False})
        assert refused.status_code == 403
        assert http.get("/api/history").json()["total"] == 6
