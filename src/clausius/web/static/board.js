// The live board: renders what the server sends (grouping, order and labels are decided there).
// Updates arrive over server-sent events; only the runs whose content changed are redrawn.
import { api, toast } from "/static/app.js";

const boardEl = document.getElementById("board");
const summaryEl = document.getElementById("summary-text");
const liveEl = document.getElementById("live-indicator");
const clusterTemplate = document.getElementById("cluster-template");
const runSignatures = new Map();
let lastBoard = null;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  const hms = `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  return d ? `${d}-${hms}` : hms;
}

function when(epoch) {
  if (!epoch) return "";
  return new Date(epoch * 1000).toLocaleString();
}

function countsText(c) {
  const parts = [`${c.running} running (${c.gpus_running} GPU)`, `${c.pending} pending (${c.gpus_pending} GPU)`];
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.completed) parts.push(`${c.completed} done`);
  if (c.cancelled) parts.push(`${c.cancelled} cancelled`);
  return parts.join(" · ");
}

function stateBadge(job) {
  const badge = el("span", `state state-${job.state.toLowerCase()}`, job.state);
  if (job.pending) {
    badge.title = `${job.pending.short}: ${job.pending.detail}` +
      (job.pending.estimated_start ? `\nestimated start: ${when(job.pending.estimated_start)}` : "");
    badge.append(el("span", "reason", ` · ${job.pending.short}`));
  } else if (job.reason && !["RUNNING", "COMPLETED"].includes(job.state)) {
    badge.title = job.reason;
  }
  return badge;
}

function jobRow(job) {
  const row = el("tr", `job${job.background ? " background" : ""}${job.pinned ? " pinned" : ""}`);
  row.dataset.job = `${job.cluster}:${job.job_id}`;
  row.append(el("td", "mono", job.job_id));
  const name = el("td", "name");
  name.style.paddingLeft = `${8 + job.depth * 16}px`;
  if (job.depth) name.append(el("span", "chain", "↳ "));
  name.append(el("span", "mono", job.name));
  if (job.dependencies.length) {
    const deps = job.dependencies.map(([type, id]) => `${type}:${id}`).join(" ");
    name.append(el("span", "deps muted", ` ${deps}`));
  }
  row.append(name);
  const state = el("td");
  state.append(stateBadge(job));
  if (job.crash) {
    const crash = el("span", "crash", job.crash.kind);
    crash.title = job.crash.line || job.crash.kind;
    state.append(crash);
  }
  if (job.progress !== null && job.progress !== undefined) {
    const bar = el("span", "progress");
    const fill = el("span", "fill");
    fill.style.width = `${Math.min(100, Math.max(0, job.progress))}%`;
    bar.append(fill);
    bar.title = `${job.progress.toFixed(0)}%`;
    state.append(bar);
  }
  row.append(state);
  const elapsed = job.state === "RUNNING" && job.start_time ? Date.now() / 1000 - job.start_time : job.elapsed_sec;
  const timing = el("td", "mono", `${job.state === "PENDING" ? "–" : duration(elapsed)} / ${duration(job.time_limit_sec)}`);
  timing.dataset.start = job.state === "RUNNING" && job.start_time ? job.start_time : "";
  timing.dataset.limit = job.time_limit_sec ?? "";
  row.append(timing);
  row.append(el("td", "", job.gpus ? `${job.gpus}${job.gpu_type ? " " + job.gpu_type : ""}` : "–"));
  row.append(el("td", "muted", job.partition || ""));
  const actions = el("td", "actions");
  if (job.can_cancel) {
    const button = el("button", "ghost danger", "cancel");
    Object.assign(button.dataset, { action: "cancel", cluster: job.cluster, job: job.job_id, name: job.name });
    actions.append(button);
  }
  if (job.can_dismiss) {
    const button = el("button", "ghost", "✕");
    button.title = "dismiss from the board";
    Object.assign(button.dataset, { action: "dismiss", cluster: job.cluster, job: job.job_id });
    actions.append(button);
  }
  row.append(actions);
  return row;
}

function runBlock(cluster, project, run) {
  const block = el("div", "run");
  block.dataset.run = `${cluster.name}:${run.run_id}`;
  const head = el("div", "run-head");
  head.append(el("span", "project-chip", `${project.emoji} ${project.name}`));
  const badge = el("span", "run-label mono", run.label);
  badge.style.background = project.color;
  head.append(badge);
  if (run.campaign) head.append(el("span", "muted", run.campaign));
  head.append(el("span", "muted run-counts", countsText(run.counts)));
  block.append(head);
  const table = el("table", "grid jobs");
  const body = el("tbody");
  for (const job of run.jobs) body.append(jobRow(job));
  table.append(body);
  block.append(table);
  return block;
}

function clusterSection(cluster) {
  let section = boardEl.querySelector(`section[data-cluster="${CSS.escape(cluster.name)}"]`);
  if (!section) {
    section = clusterTemplate.content.firstElementChild.cloneNode(true);
    section.dataset.cluster = cluster.name;
    section.querySelector(".cluster-name").textContent = cluster.name;
    for (const button of section.querySelectorAll("[data-action=clear]")) button.dataset.cluster = cluster.name;
    boardEl.append(section);
  }
  const status = cluster.status;
  const badge = section.querySelector(".status-badge");
  badge.className = `status-badge status-${status.state}`;
  badge.textContent = status.state === "stale" && status.age_sec !== null
    ? `stale ${Math.round(status.age_sec)}s` : status.state;
  section.dataset.state = status.state;
  section.querySelector(".cluster-counts").textContent = countsText(cluster.counts);
  const error = section.querySelector(".cluster-error");
  error.hidden = !status.error;
  error.textContent = status.error || "";
  return section;
}

function render(board) {
  lastBoard = board;
  summaryEl.textContent = `${countsText(board.counts)} · ${board.clusters.length} cluster(s)`;
  const seenClusters = new Set();
  for (const cluster of board.clusters) {
    seenClusters.add(cluster.name);
    const section = clusterSection(cluster);
    const container = section.querySelector(".projects");
    const seenRuns = new Set();
    let previous = null;
    for (const project of cluster.projects) {
      for (const run of project.runs) {
        const key = `${cluster.name}:${run.run_id}`;
        seenRuns.add(key);
        const signature = JSON.stringify([project.color, run]);
        let block = container.querySelector(`div.run[data-run="${CSS.escape(key)}"]`);
        if (!block || runSignatures.get(key) !== signature) {
          const fresh = runBlock(cluster, project, run);
          if (block) block.replaceWith(fresh); else container.append(fresh);
          block = fresh;
          runSignatures.set(key, signature);
        }
        // keep server order without rebuilding unchanged blocks
        const expectedNext = previous ? previous.nextElementSibling : container.firstElementChild;
        if (expectedNext !== block) container.insertBefore(block, expectedNext);
        previous = block;
      }
    }
    for (const block of [...container.querySelectorAll("div.run")]) {
      if (!seenRuns.has(block.dataset.run)) { runSignatures.delete(block.dataset.run); block.remove(); }
    }
    if (!cluster.projects.length && !container.querySelector(".empty")) container.append(el("p", "empty", "no jobs"));
    if (cluster.projects.length) container.querySelector(".empty")?.remove();
  }
  for (const section of [...boardEl.querySelectorAll("section[data-cluster]")]) {
    if (!seenClusters.has(section.dataset.cluster)) section.remove();
  }
  boardEl.querySelector(".empty-board")?.remove();
}

function tickElapsed() {
  const now = Date.now() / 1000;
  for (const cell of boardEl.querySelectorAll("td[data-start]")) {
    if (!cell.dataset.start) continue;
    const limit = cell.dataset.limit === "" ? null : Number(cell.dataset.limit);
    cell.textContent = `${duration(now - Number(cell.dataset.start))} / ${duration(limit)}`;
  }
}

async function onAction(event) {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const { action, cluster, job, kind, name } = button.dataset;
  try {
    if (action === "cancel") {
      if (!window.confirm(`Cancel job ${job} (${name}) on ${cluster}?`)) return;
      button.disabled = true;
      const outcome = await api(`/api/clusters/${encodeURIComponent(cluster)}/jobs/${encodeURIComponent(job)}/cancel`,
        { method: "POST", timeoutMs: 60000 });
      const errors = Object.entries(outcome.errors);
      toast(errors.length ? `${job}: ${errors[0][1]}` : `cancelled ${job} on ${cluster}`, errors.length ? "error" : "ok");
    } else if (action === "dismiss") {
      await api(`/api/clusters/${encodeURIComponent(cluster)}/jobs/${encodeURIComponent(job)}/dismiss`, { method: "POST" });
    } else if (action === "clear") {
      if (!window.confirm(`Remove all ${kind} jobs of ${cluster} from the board? (history keeps them)`)) return;
      const result = await api(`/api/clusters/${encodeURIComponent(cluster)}/clear/${kind}`, { method: "POST" });
      toast(`cleared ${result.changed} ${kind} job(s)`, "ok");
    }
  } catch (err) {
    toast(err.message, "error");
    button.disabled = false;
  }
}

function connect() {
  const source = new EventSource(boardEl.dataset.stream);
  source.addEventListener("board", (event) => {
    liveEl.classList.add("on");
    render(JSON.parse(event.data));
  });
  source.addEventListener("error", () => liveEl.classList.remove("on"));  // EventSource reconnects by itself
}

async function explainPending(event) {
  const badge = event.target.closest(".state-pending");
  if (!badge || badge.dataset.explained) return;
  badge.dataset.explained = "1";
  const [cluster, job] = badge.closest("tr.job").dataset.job.split(/:(.*)/s);
  try {
    const info = await api(`/api/clusters/${encodeURIComponent(cluster)}/jobs/${encodeURIComponent(job)}/pending`);
    const lines = [badge.title];
    const factor = (label, value) => (value === null || value === undefined ? null : `${label} ${value}`);
    const factors = [factor("priority", info.priority), factor("fair-share", info.fairshare),
      factor("age", info.age), factor("size", info.jobsize), factor("partition", info.partition),
      factor("QOS", info.qos)].filter(Boolean);
    if (factors.length) lines.push(`priority factors: ${factors.join(", ")}`);
    if (info.note) lines.push(info.note);
    badge.title = lines.filter(Boolean).join("\n");
  } catch (err) {
    badge.dataset.explained = "";
  }
}

boardEl.addEventListener("click", onAction);
boardEl.addEventListener("mouseover", explainPending);
setInterval(tickElapsed, 1000);
connect();
window.clausiusBoard = { get last() { return lastBoard; } };
