// Live progress of one analysis over its event stream; the page reloads once to show the outcome.
"use strict";
(function () {
  const box = document.getElementById("progress");
  if (!box || box.dataset.finished) return;
  const source = new EventSource(box.dataset.events);
  function show(data) {
    const status = document.getElementById("status");
    status.textContent = data.status;
    status.className = "status status-" + data.status;
    document.getElementById("progress-bar").value = data.progress || 0;
    document.getElementById("progress-percent").textContent = Math.round((data.progress || 0) * 100) + "%";
    document.getElementById("stage").textContent = data.progress_message || "";
    (data.repositories || []).forEach((r) => {
      const row = document.querySelector(`#outcomes tr[data-repository="${CSS.escape(r.name)}"] .ra-status`);
      if (row) { row.textContent = r.status; row.className = "ra-status status-" + r.status; }
    });
    box.dataset.events_seen = String(Number(box.dataset.events_seen || 0) + 1);
  }
  source.addEventListener("progress", (event) => show(JSON.parse(event.data)));
  source.addEventListener("done", (event) => { show(JSON.parse(event.data)); source.close(); window.location.reload(); });
  source.addEventListener("timeout", () => source.close());
  source.onerror = () => { source.close(); document.getElementById("stage").textContent = "Lost the live connection; reload to see the latest state."; };
})();
