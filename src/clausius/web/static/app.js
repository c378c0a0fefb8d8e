// Shared browser helpers: every state-changing request carries the CSRF token.
const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content ?? "";

export async function api(path, { method = "GET", body, timeoutMs = 20000 } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  try {
    const response = await fetch(path, {
      method, headers, signal: controller.signal, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? null : await response.json();
    if (!response.ok) throw new Error(data?.error ?? `HTTP ${response.status}`);
    return data;
  } finally {
    clearTimeout(timer);
  }
}

export function toast(message, kind = "info") {
  const box = document.getElementById("toasts");
  if (!box) return;
  const item = document.createElement("div");
  item.className = `toast ${kind}`;
  item.textContent = message;  // never innerHTML: messages may contain job names from clusters
  box.append(item);
  setTimeout(() => item.remove(), 5000);
}

function wireLogin() {
  const form = document.querySelector("form[data-login]");
  if (!form) return;
  const ticket = form.dataset.ticket;
  if (ticket) {
    // A one-time login link: drop the ticket from the address bar and history, then redeem it.
    window.history.replaceState(null, "", "/login");
    const error = document.getElementById("login-error");
    api("/api/login", { method: "POST", body: { ticket } })
      .then(() => window.location.assign("/"))
      .catch((err) => {
        error.textContent = err.message;
        error.hidden = false;
      });
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = document.getElementById("login-error");
    try {
      await api("/api/login", { method: "POST", body: { token: form.token.value } });
      window.location.assign("/");
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  });
}

function applyChipColours() {
  for (const chip of document.querySelectorAll(".chip[data-color]")) {
    chip.style.background = chip.dataset.color;
    chip.style.color = "#1c2127";
  }
}

wireLogin();
applyChipColours();
