// Draws the dashboard's charts from the server's small JSON tables (Apache ECharts, served by the app).
// Each chart's rows also fill the data table under it; a chart whose data is refused sends the browser to sign-in.
"use strict";
(function () {
  const script = document.getElementById("dashboard-script");
  const filesBase = script ? script.dataset.files : null;
  const charts = [];

  function fileUrl(path) {
    return filesBase + path.split("/").map(encodeURIComponent).join("/");
  }

  function cell(tag, text) {
    const node = document.createElement(tag);
    node.textContent = text === null || text === undefined ? "–" : typeof text === "number" ? text.toLocaleString("en") : String(text);
    return node;
  }

  function fillTable(table, data) {
    const head = document.createElement("thead"), body = document.createElement("tbody"), row = document.createElement("tr");
    data.columns.forEach((c) => { const th = cell("th", c.label); th.scope = "col"; row.append(th); });
    head.append(row);
    data.rows.forEach((r) => {
      const tr = document.createElement("tr");
      data.columns.forEach((c) => {
        const td = cell("td", r[c.key]);
        if (filesBase && /^(path|file|file_a|file_b)$/.test(c.key) && r[c.key]) {
          const a = document.createElement("a");
          a.href = fileUrl(r[c.key]);
          a.textContent = r[c.key];
          td.replaceChildren(a);
        }
        tr.append(td);
      });
      body.append(tr);
    });
    table.replaceChildren(head, body);
  }

  function short(label) {
    const text = String(label);
    return text.length > 18 ? "…" + text.slice(-17) : text;
  }

  function option(kind, data, el) {
    const x = el.dataset.x, ys = (el.dataset.y || "").split(",").filter(Boolean);
    const base = { animation: false, tooltip: {}, grid: { left: 48, right: 16, top: 24, bottom: 56, containLabel: true } };
    if (kind === "scatter") {
      return { ...base, tooltip: { formatter: (p) => `${p.data[2]}<br>churn ${p.data[0]}, complexity ${p.data[1]}` },
        xAxis: { type: "value", name: "churn", scale: true }, yAxis: { type: "value", name: "complexity", scale: true },
        series: [{ type: "scatter", symbolSize: 8, data: data.rows.map((r) => [r[x], r[ys[0]], r.path]) }] };
    }
    if (kind === "bar" || kind === "line") {
      return { ...base, legend: ys.length > 1 ? { top: 0 } : undefined,
        xAxis: { type: "category", data: data.rows.map((r) => r[x]), axisLabel: { rotate: 30, formatter: short } },
        yAxis: { type: "value" },
        series: ys.map((y) => ({ type: kind, name: y, data: data.rows.map((r) => r[y]), showSymbol: data.rows.length < 60 })) };
    }
    if (kind === "treemap") {
      const max = Math.max(0.0001, ...data.rows.map((r) => r.score || 0));
      return { ...base, tooltip: { formatter: (p) => `${p.data.path || p.name}<br>${p.value} lines` },
        visualMap: { show: false, min: 0, max: max, dimension: 1, inRange: { color: ["#9ecae1", "#fdae6b", "#d62728"] } },
        series: [{ type: "treemap", roam: false, nodeClick: false, breadcrumb: { show: false }, leafDepth: 3,
          data: toTree(data.tree) }] };
    }
    if (kind === "graph") {
      return { ...base, tooltip: {},
        series: [{ type: "graph", layout: "force", roam: true, force: { repulsion: 120, edgeLength: 80 },
          label: { show: data.nodes.length < 25, formatter: (p) => short(p.name) },
          data: data.nodes.map((n) => ({ name: n, symbolSize: 10 })),
          links: data.rows.map((r) => ({ source: r.file_a, target: r.file_b, value: r.degree, lineStyle: { width: 1 + (r.degree || 0) / 30 } })) }] };
    }
    return null;
  }

  function toTree(nodes) {
    return (nodes || []).map((n) => n.children ? { name: n.name, children: toTree(n.children) }
      : { name: n.name, path: n.path, value: [n.value, n.score] });
  }

  async function load(el, url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.status === 401) {
      const body = await response.json().catch(() => ({}));
      window.location.assign((body.sign_in || "/dashboard/sign-in") + "?reason=" + encodeURIComponent(body.detail || "Sign in again.") +
        "&next=" + encodeURIComponent(window.location.pathname));
      return;
    }
    if (!response.ok) throw new Error(response.status + " " + response.statusText);
    const data = await response.json();
    const section = el.closest("section");
    fillTable(section.querySelector("table.data"), data);
    const missing = section.querySelector(".missing");
    if (data.missing) { missing.textContent = data.missing; missing.hidden = false; } else { missing.hidden = true; }
    const kind = el.dataset.chart;
    el.dataset.rows = String(data.rows.length);
    if (kind === "table") {
      el.hidden = true;
      section.querySelector("details").open = true;
    } else if (data.rows.length === 0) {
      el.hidden = true;
    } else {
      el.hidden = false;
      const chart = echarts.getInstanceByDom(el) || echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option(kind, data, el), true);
      if (filesBase && (kind === "scatter" || kind === "treemap")) {
        chart.off("click");
        chart.on("click", (p) => { const path = kind === "scatter" ? p.data[2] : p.data.path; if (path) window.location.assign(fileUrl(path)); });
      }
      if (!charts.includes(chart)) charts.push(chart);
    }
    el.dataset.ready = "1";
  }

  function sparklines() {
    document.querySelectorAll(".spark").forEach((el) => {
      const points = JSON.parse(el.dataset.points || "[]");
      if (points.filter((p) => p !== null).length === 0) { el.textContent = "–"; el.dataset.ready = "1"; return; }
      const chart = echarts.init(el, null, { renderer: "svg", width: 96, height: 24 });
      chart.setOption({ animation: false, grid: { left: 2, right: 2, top: 2, bottom: 2 },
        xAxis: { type: "category", show: false, data: points.map((_, i) => i) }, yAxis: { type: "value", show: false, scale: true },
        series: [{ type: "line", data: points, showSymbol: points.length === 1, symbolSize: 4, lineStyle: { width: 1.5 } }] });
      el.dataset.ready = "1";
    });
  }

  function start() {
    sparklines();
    document.querySelectorAll(".chart[data-src]").forEach((el) => {
      load(el, el.dataset.src).catch((error) => { el.dataset.ready = "error"; el.textContent = "Could not load: " + error.message; });
    });
    const measure = document.getElementById("history-measure");
    if (measure) {
      measure.addEventListener("change", () => {
        const el = document.getElementById("chart-history");
        el.dataset.ready = "";
        load(el, el.dataset.src + "?measure=" + encodeURIComponent(measure.value));
      });
    }
    const period = document.getElementById("activity-period");
    if (period) {
      period.addEventListener("change", () => {
        const el = document.getElementById(period.dataset.chartId);
        el.dataset.ready = "";
        load(el, period.value).catch((error) => { el.dataset.ready = "error"; el.textContent = "Could not load: " + error.message; });
      });
    }
    let pending = null;
    window.addEventListener("resize", () => { clearTimeout(pending); pending = setTimeout(() => charts.forEach((c) => c.resize()), 100); });
  }

  start();
})();
