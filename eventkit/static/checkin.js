/* eventkit door page: camera QR scanner (vendored jsQR), name search, undo, live count.
   Talks to the JSON API under data-api; the door secret in that path is the only credential. */
(function () {
  "use strict";
  var root = document.getElementById("door");
  if (!root) return;
  var api = root.dataset.api;
  var $ = function (id) { return document.getElementById(id); };
  var video = $("camera"), canvas = $("frame"), ctx = canvas.getContext("2d", { willReadFrequently: true });
  var REPEAT_MS = 4000;      // the same code again within this time is the same guest still in frame
  var SCAN_EVERY_MS = 120;
  var lastCode = null, lastCodeAt = 0, busy = false, lastGuest = null, audio = null;

  function nonce() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  /* POST JSON; a network failure is retried with the same nonce, so it never counts twice. */
  function post(path, body, attempt) {
    attempt = attempt || 0;
    return fetch(api + path, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      credentials: "omit", cache: "no-store"
    }).then(readJson).catch(function (error) {
      if (error && error.answer) throw error;
      if (attempt >= 2) throw error;
      return new Promise(function (r) { setTimeout(r, 400 * (attempt + 1)); })
        .then(function () { return post(path, body, attempt + 1); });
    });
  }

  function readJson(response) {
    return response.json().catch(function () { return {}; }).then(function (data) {
      if (!response.ok) {
        var error = new Error(data.message || "The server refused the request.");
        error.answer = { outcome: "error", title: data.error || "Not possible", message: error.message };
        throw error;
      }
      return data;
    });
  }

  function beep(kind) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();
      var tones = { welcome: [[880, 0, .12], [1320, .14, .18]], already: [[660, 0, .25]],
                    bad: [[220, 0, .18], [180, .22, .3]] }[kind];
      tones.forEach(function (t) {
        var osc = audio.createOscillator(), gain = audio.createGain();
        osc.type = kind === "bad" ? "square" : "sine";
        osc.frequency.value = t[0];
        gain.gain.setValueAtTime(.25, audio.currentTime + t[1]);
        gain.gain.exponentialRampToValueAtTime(.001, audio.currentTime + t[1] + t[2]);
        osc.connect(gain).connect(audio.destination);
        osc.start(audio.currentTime + t[1]);
        osc.stop(audio.currentTime + t[1] + t[2] + .02);
      });
    } catch (e) { /* no sound on this device */ }
  }

  function show(answer) {
    var outcome = answer.outcome || "error";
    var kind = outcome === "welcome" ? "welcome" : (outcome === "already" || outcome === "undone") ? "already" : "bad";
    var box = $("result");
    box.className = "door-result result-" + kind;
    box.dataset.outcome = outcome;
    $("result-title").textContent = answer.title || "";
    $("result-message").textContent = answer.message || "";
    lastGuest = outcome === "welcome" && answer.guest ? answer.guest : null;
    $("result-undo").hidden = !lastGuest;
    beep(kind);
    if (navigator.vibrate) navigator.vibrate(kind === "welcome" ? 80 : [60, 60, 60]);
    refreshStats();
  }

  function failed(error) {
    show(error.answer || { outcome: "error", title: "No connection",
                           message: "The server did not answer. Check the network and scan again." });
  }

  function sendScan(code) {
    busy = true;
    post("/scan", { code: code, nonce: nonce() }).then(show, failed).then(function () { busy = false; });
  }

  function tick() {
    if (!busy && video.readyState >= 2 && video.videoWidth) {
      var scale = Math.min(1, 800 / video.videoWidth);
      var w = canvas.width = Math.round(video.videoWidth * scale);
      var h = canvas.height = Math.round(video.videoHeight * scale);
      ctx.drawImage(video, 0, 0, w, h);
      var found = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "attemptBoth" });
      var now = Date.now();
      if (found && found.data) {
        if (found.data !== lastCode || now - lastCodeAt > REPEAT_MS) sendScan(found.data);
        lastCode = found.data;
        lastCodeAt = now;
      }
    }
    setTimeout(tick, SCAN_EVERY_MS);
  }

  function startCamera() {
    var note = $("camera-note");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      note.textContent = "This browser gives no camera here (the page needs HTTPS). Use the name search.";
      note.hidden = false;
      return;
    }
    navigator.mediaDevices.getUserMedia({
      audio: false, video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } }
    }).then(function (stream) {
      video.srcObject = stream;
      return video.play();
    }).then(function () {
      $("camera-start").hidden = true;
      note.hidden = true;
    }).catch(function (error) {
      note.textContent = "Camera unavailable (" + (error && error.name || "error") +
        "). Allow camera access and tap Start camera, or use the name search.";
      note.hidden = false;
      $("camera-start").hidden = false;
    });
  }

  function refreshStats() {
    fetch(api + "/stats", { credentials: "omit", cache: "no-store" }).then(readJson).then(function (s) {
      $("arrived").textContent = s.arrived;
      $("expected").textContent = s.expected;
    }).catch(function () {});
  }

  function undo(guest) {
    post("/undo", { attendee_id: guest.id }).then(show, failed).then(runSearch);
  }

  var searchTimer = null;
  function runSearch() {
    var q = $("search").value.trim(), list = $("search-results");
    var wide = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/.test(q);
    if (q.length < (wide ? 2 : 3)) { list.textContent = ""; return; }
    fetch(api + "/search?q=" + encodeURIComponent(q), { credentials: "omit", cache: "no-store" })
      .then(readJson).then(function (data) { renderResults(data.results, q); }).catch(failed);
  }

  function renderResults(results, q) {
    var list = $("search-results");
    list.textContent = "";
    if (!results.length) {
      var empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = "Nobody called “" + q + "” on this guest list.";
      list.appendChild(empty);
    }
    results.forEach(function (guest) {
      var item = document.createElement("li"), who = document.createElement("span"), button = document.createElement("button");
      who.textContent = guest.name + (guest.organisation ? " · " + guest.organisation : "");
      var note = document.createElement("small");
      note.className = "muted";
      note.textContent = guest.checked_in ? "in since " + guest.time : (guest.status === "registered" || guest.status === "approved" ? "" : guest.status);
      who.appendChild(document.createElement("br"));
      who.appendChild(note);
      button.type = "button";
      button.className = guest.checked_in ? "button secondary" : "button";
      button.textContent = guest.checked_in ? "Undo" : "Check in";
      button.addEventListener("click", function () {
        if (guest.checked_in) return undo(guest);
        post("/checkin", { attendee_id: guest.id, nonce: nonce() }).then(show, failed).then(runSearch);
      });
      item.appendChild(who);
      item.appendChild(button);
      list.appendChild(item);
    });
  }

  $("search").addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 200);
  });
  $("result-undo").addEventListener("click", function () { if (lastGuest) undo(lastGuest); });
  $("camera-start").addEventListener("click", function () { beep("already"); startCamera(); });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refreshStats(); });
  setInterval(refreshStats, 10000);
  startCamera();
  tick();
})();
