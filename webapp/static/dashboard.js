// The dashboard reads the API with the token typed into the page (kept in sessionStorage only).
"use strict";
const STATUSES = ["queued", "running", "succeeded", "partial", "failed", "cancelled"];
const COLORS = { queued: "#8c959f", running: "#0969da", succeeded: "#1a7f37", partial: "#9a6700", failed: "#cf222e", cancelled: "#6e7781" };
const SVG = "http://www.w3.org/2000/svg";

function el(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function barChart(svg, labels, values, colors) {
  svg.replaceChildren();
  const width = svg.clientWidth || 400, height = svg.clientHeight || 220, pad = 24;
  const max = Math.max(1, ...values);
  const step = (width - 2 * pad) / Math.max(1, values.length);
  values.forEach((value, i) => {
    const h = (height - 2 * pad) * value / max;
    const x = pad + i * step + step * 0.1, y = height - pad - h;
    svg.append(el("rect", { x, y, width: step * 0.8, height: h, fill: colors[i] || "#0969da" }));
    svg.append(el("text", { x: x + step * 0.4, y: height - 8, "text-anchor": "middle" }, labels[i]));
    svg.append(el("text", { x: x + step * 0.4, y: y - 4, "text-anchor": "middle" }, String(Math.round(value * 10) / 10)));
  });
}

async function api(path) {
  const token = sessionStorage.getItem("coe-token") || "";
  const response = await fetch(path, { headers: token ? { Authorization: "Bearer " + token } : {} });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new Error(problem.detail || response.statusText);
  }
  return response.json();
}

function seconds(a, b) {
  return a && b ? (Date.parse(b) - Date.parse(a)) / 1000 : 0;
}

async function load() {
  const message = document.getElementById("message");
  try {
    const page = await api("/api/v1/analyses?limit=50");
    const counts = STATUSES.map((s) => page.items.filter((a) => a.status === s).length);
    barChart(document.getElementById("status-chart"), STATUSES, counts, STATUSES.map((s) => COLORS[s]));
    const finished = page.items.filter((a) => a.finished_at).reverse();
    barChart(document.getElementById("duration-chart"), finished.map((a) => "#" + a.id),
      finished.map((a) => seconds(a.started_at || a.created_at, a.finished_at)), finished.map((a) => COLORS[a.status]));
    const rows = page.items.map((a) => {
      const tr = document.createElement("tr");
      const cells = [a.id, a.status, a.repositories.map((r) => r.name).join(", "), Math.round(a.progress * 100) + "%", a.created_at || ""];
      cells.forEach((value, i) => {
        const td = document.createElement("td");
        td.textContent = String(value);
        if (i === 1) td.className = "status-" + a.status;
        tr.append(td);
      });
      return tr;
    });
    document.getElementById("analyses").replaceChildren(...rows);
    message.textContent = `${page.items.length} analyses`;
  } catch (error) {
    message.textContent = "Could not load: " + error.message;
  }
}

document.getElementById("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = document.getElementById("token").value.trim();
  if (value) sessionStorage.setItem("coe-token", value);
  load();
});
load();
