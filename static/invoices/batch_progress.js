/* Batch deposit page, progressive enhancement (without it, the "Actualiser" link reloads the page):
 * while the batch runs, read its progress every 2 seconds, move the bar and the counter, and say
 * in the status region (role="status", read politely by screen readers) how far it is, at most
 * every 10 seconds; once it is done, fetch the page again and swap in the full report. */
(function () {
  "use strict";
  var block = document.getElementById("batch-progress-block");
  if (!block || block.dataset.done === "true" || !window.fetch) return;
  var url = block.dataset.progressUrl;
  var bar = document.getElementById("batch-progress");
  var count = document.getElementById("batch-count");
  var status = document.getElementById("batch-status");
  var lastSpoken = 0;
  var failures = 0;

  function swapReport() {
    return fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (text) {
        var fresh = new DOMParser().parseFromString(text, "text/html");
        var report = fresh.getElementById("batch-report");
        var current = document.getElementById("batch-report");
        if (report && current) current.replaceWith(document.adoptNode(report));
        var hint = document.getElementById("batch-refresh");
        if (hint) hint.remove();
      });
  }

  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (data) {
        failures = 0;
        bar.max = Math.max(data.total, 1);
        bar.value = data.processed;
        bar.textContent = data.percent + " %";
        count.textContent = data.processed + " / " + data.total;
        var now = Date.now();
        if (data.done || now - lastSpoken >= 10000) {
          status.textContent = data.status;
          lastSpoken = now;
        }
        if (data.done) {
          block.dataset.done = "true";
          return swapReport();
        }
        window.setTimeout(tick, 2000);
      })
      .catch(function () {
        failures += 1;
        if (failures < 10) window.setTimeout(tick, 5000);
      });
  }
  window.setTimeout(tick, 1000);
})();
