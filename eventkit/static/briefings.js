/* Organiser's briefings panel: while briefing emails are queued, poll their counts and show them in place.
   Stops once nothing is queued (a new send reloads the page) or after a few failed polls (e.g. signed out). */
(function () {
  "use strict";
  var box = document.getElementById("briefing-emails");
  if (!box) return;
  var EVERY_MS = 3000, MAX_FAILURES = 3;
  var failures = 0, timer = null;

  function show(counts) {
    ["queued", "sent", "failed"].forEach(function (name) {
      box.querySelector('[data-count="' + name + '"]').textContent = counts[name];
    });
    box.querySelector("[data-failed]").classList.toggle("bad", counts.failed > 0);
    box.querySelector("[data-when-queued]").hidden = !counts.queued;
    box.dataset.queued = counts.queued;
    box.hidden = !counts.total;
  }

  function schedule() {
    clearTimeout(timer);
    if (Number(box.dataset.queued) > 0 && failures < MAX_FAILURES && !document.hidden) {
      timer = setTimeout(poll, EVERY_MS);
    }
  }

  function poll() {
    fetch(box.dataset.statusUrl, {
      credentials: "same-origin", cache: "no-store", redirect: "error", headers: { Accept: "application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error("status " + response.status);
      return response.json();
    }).then(function (counts) {
      failures = 0;
      show(counts);
    }).catch(function () {
      failures += 1;
    }).then(schedule);
  }

  document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });
  schedule();
})();
