// The live pages (organiser board, room screen, guest's "now"): poll a small JSON endpoint with
// If-None-Match (304 while nothing changed) and count the round's time down between polls.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) { return; }
  var mode = root.dataset.mode;
  var interval = parseInt(root.dataset.interval, 10) || 2000;
  var etag = null;
  var version = root.dataset.version;
  var clock = document.getElementById("remaining");
  var deadline = null;  // local ms when the running round's time is up

  function setTimer(remaining, running) {
    if (!clock) { return; }
    clock.dataset.remaining = String(remaining);
    clock.dataset.running = running ? "true" : "false";
    deadline = running ? Date.now() + remaining * 1000 : null;
    render();
  }

  function secondsLeft() {
    if (!clock) { return 0; }
    if (deadline === null) { return parseInt(clock.dataset.remaining, 10) || 0; }
    return Math.max(0, Math.round((deadline - Date.now()) / 1000));
  }

  function render() {
    if (!clock) { return; }
    var left = secondsLeft();
    if (mode === "guest") {
      if (clock.dataset.active !== "true") { clock.textContent = ""; return; }
      var minutes = Math.ceil(left / 60);
      clock.textContent = left <= 0 ? "Time is up." : minutes + (minutes === 1 ? " minute" : " minutes") + " left.";
    } else {
      clock.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    }
  }

  function text(id, value) {
    var node = document.getElementById(id);
    if (node && value !== undefined && value !== null) { node.textContent = value; }
  }

  // A form on its way (a guest's "we met" tap, an organiser's button): a reload now would race the
  // submission, and the page it leads to (with its "Thanks, noted.") could be replaced by a reload.
  // On window, so it runs after app.js's data-confirm listener on document (a cancelled confirm
  // sends nothing).
  var submitting = false;
  window.addEventListener("submit", function (event) { if (!event.defaultPrevented) { submitting = true; } });

  function busy() {
    if (submitting) { return true; }
    var active = document.activeElement;
    return active && (active.tagName === "INPUT" || active.tagName === "TEXTAREA") &&
      active.type !== "radio" && active.type !== "submit";
  }

  function apply(data) {
    var changed = String(data.version) !== String(version);
    version = String(data.version);
    if (clock) { clock.dataset.active = (data.status === "running" || data.status === "paused") ? "true" : "false"; }
    setTimer(data.remaining, data.running);
    if (mode === "organiser") {
      if ((changed || String(data.arrived) !== root.dataset.arrived) && !busy()) { window.location.reload(); }
      return;
    }
    if (mode === "screen") {
      text("screen-heading", data.heading);
      var list = document.getElementById("screen-tables");
      if (list && changed) {
        while (list.firstChild) { list.removeChild(list.firstChild); }
        data.tables.forEach(function (t) {
          var item = document.createElement("li");
          var table = document.createElement("span");
          table.className = "screen-table";
          table.textContent = String(t.table);
          item.appendChild(table);
          item.appendChild(document.createTextNode(" " + t.names.join(" · ")));
          list.appendChild(item);
        });
      }
      root.dataset.shown = version;
      return;
    }
    text("now-headline", data.headline);
    text("now-detail", data.detail);
    text("now-next", data.next);
    text("round-label", data.label);
    var moved = String(data.table || "") !== (root.dataset.table || "");
    if ((moved || String(data.to_answer) !== root.dataset.toAnswer) && !busy()) { window.location.reload(); return; }
    root.dataset.shown = version;
  }

  function poll() {
    var headers = { "Accept": "application/json" };
    if (etag) { headers["If-None-Match"] = etag; }
    fetch(root.dataset.poll, { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 304) { return null; }
        if (response.status === 410 || response.status === 404) { text("screen-heading", "This screen link was revoked."); return null; }
        if (!response.ok) { return null; }
        etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (data) { if (data) { apply(data); } })
      .catch(function () { /* offline for a moment: try again at the next poll */ })
      .then(function () { window.setTimeout(poll, interval); });
  }

  if (clock) {
    clock.dataset.active = clock.dataset.active || (clock.textContent.trim() || mode !== "guest" ? "true" : "false");
    setTimer(parseInt(clock.dataset.remaining, 10) || 0, clock.dataset.running === "true");
    window.setInterval(render, 1000);
  }
  window.setTimeout(poll, mode === "organiser" ? interval : 50);
}());
