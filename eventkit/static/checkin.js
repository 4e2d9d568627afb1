/* eventkit door page: camera QR scanner (vendored jsQR), name search, undo, live count.
   Talks to the JSON API under data-api; the door secret in that path is the only credential.
   Offline first: when the network is gone (or does not answer) the phone decides by itself from the
   door's dataset (door-offline.js) and queues the action; a sync every few seconds sends the queue
   and refreshes the dataset, backing off while the server cannot take it (no network, 5xx, 409).
   A revoked link, the end of the gathering's day or "Clear this phone" wipe the phone's copy; a
   revoked or unknown link keeps the actions it could not send, and lists them, and never retries. */
(function () {
  "use strict";
  var root = document.getElementById("door");
  if (!root) return;
  var api = root.dataset.api;
  var $ = function (id) { return document.getElementById(id); };
  var video = $("camera"), canvas = $("frame"), ctx = canvas.getContext("2d", { willReadFrequently: true });
  var REPEAT_MS = 4000;      // the same code again within this time is the same guest still in frame
  var SCAN_EVERY_MS = 120;
  var SYNC_EVERY_MS = 4000;
  var SYNC_BACKOFF_MAX_MS = 60000;  // a failing sync waits 8, 16, 32 s ... up to a minute between tries
  var lastCode = null, lastCodeAt = 0, busy = false, lastGuest = null, audio = null;
  var closed = false, syncing = false, online = navigator.onLine, syncTimer = null, syncFailures = 0;
  var door = window.DoorOffline.create(api, [location.href, root.dataset.manifest]);
  var offlineReady = door.start().catch(function () { /* no IndexedDB here: online only */ });

  function nonce() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  /* One request to the door API. A refusal carries error.answer and error.status; 404/410 (unknown
     or revoked link) closes the door on this phone; no answer at all means offline. */
  function request(method, path, body) {
    var options = { method: method, credentials: "omit", cache: "no-store" };
    if (body !== undefined) {
      options.headers = { "Content-Type": "application/json" };
      options.body = JSON.stringify(body);
    }
    return fetch(api + path, options).then(function (response) { return readJson(response, method, path); }, function (error) {
      setOnline(false);
      throw error;
    });
  }

  function readJson(response, method, path) {
    setOnline(true);
    return response.json().catch(function () { return {}; }).then(function (data) {
      // 410: revoked; a 404 on a read or a sync: no such door link (on a check-in: a guest of another list)
      var unknownDoor = response.status === 404 && (method === "GET" || path === "/sync");
      if (response.status === 410 || unknownDoor) {
        closeDoor(data.message || "This door link is not known to the server. Ask the organiser for a new one.");
      }
      if (!response.ok) {
        var error = new Error(data.message || "The server refused the request.");
        error.status = response.status;
        error.answer = { outcome: "error", title: data.error || "Not possible", message: error.message };
        throw error;
      }
      return data;
    });
  }

  /* Online, the server decides; with no network (or no answer) the phone does, with the same nonce,
     so an action whose answer got lost still counts once when the queue is sent. */
  function act(path, body, decideHere) {
    if (!navigator.onLine && door.ready()) return decideHere().then(afterLocal);
    return request("POST", path, body).then(function (answer) {
      door.learn(answer);
      return answer;
    }, function (error) {
      if (error.answer || !door.ready()) throw error;
      return decideHere().then(afterLocal);
    });
  }

  function afterLocal(answer) {
    renderState();
    return answer;
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
    box.dataset.offline = answer.offline ? "true" : "false";
    $("result-undo").hidden = !lastGuest;
    beep(kind);
    if (navigator.vibrate) navigator.vibrate(kind === "welcome" ? 80 : [60, 60, 60]);
    refreshStats();
  }

  function failed(error) {
    if (closed) return;
    show(error.answer || { outcome: "error", title: "No connection",
                           message: "The server did not answer and this phone has no guest list yet. " +
                                    "Check the network and scan again." });
  }

  function sendScan(code) {
    if (closed) return;
    busy = true;
    var n = nonce();
    act("/scan", { code: code, nonce: n }, function () { return door.scan(code, n); })
      .then(show, failed).then(function () { busy = false; });
  }

  function tick() {
    if (closed) return;
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

  function showCounts(s) {
    $("arrived").textContent = s.arrived;
    $("expected").textContent = s.expected;
  }

  function refreshStats() {
    if (door.ready()) return showCounts(door.stats());
    if (closed) return;
    request("GET", "/stats").then(showCounts).catch(function () {});
  }

  function undo(guest) {
    var n = nonce();
    act("/undo", { attendee_id: guest.id }, function () { return door.undo(guest.id, n); })
      .then(show, failed).then(runSearch);
  }

  var searchTimer = null;
  function runSearch() {
    var q = $("search").value.trim(), list = $("search-results");
    var wide = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/.test(q);
    if (q.length < (wide ? 2 : 3)) { list.textContent = ""; return; }
    if (!navigator.onLine && door.ready()) return renderResults(door.search(q), q);
    request("GET", "/search?q=" + encodeURIComponent(q)).then(function (data) { renderResults(data.results, q); })
      .catch(function (error) {
        if (!error.answer && door.ready()) return renderResults(door.search(q), q);
        failed(error);
      });
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
        var n = nonce();
        act("/checkin", { attendee_id: guest.id, nonce: n }, function () { return door.checkIn(guest.id, n); })
          .then(show, failed).then(runSearch);
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
  document.addEventListener("visibilitychange", function () { if (!document.hidden) syncNow(); });
  window.addEventListener("online", syncNow);
  window.addEventListener("offline", function () { setOnline(false); });
  $("clear-phone").addEventListener("click", clearPhone);

  /* ---- online state, the queue, the sync ---- */
  function setOnline(value) {
    online = value;
    renderState();
  }

  var clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  function renderState() {
    var net = $("net-state"), isOnline = online && navigator.onLine;
    net.dataset.online = isOnline ? "true" : "false";
    net.textContent = isOnline ? "Online" : "Offline";
    $("pending-count").textContent = door.pending();
    $("last-sync").textContent = door.syncedAt ? clock.format(new Date(door.syncedAt)) : "not yet";
    var notices = $("sync-notices");
    notices.textContent = "";
    door.conflicts().map(function (c) { return door.conflictMessage(c); }).concat(door.notices).forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      notices.appendChild(item);
    });
    notices.hidden = !notices.childNodes.length;
    // a closed door lists every scan it kept in its own box instead
    listUnsent($("held-list"), closed ? [] : door.unsent().filter(function (item) { return item.held; }));
  }

  /* The actions this phone could not send, for the volunteer to show the organiser. */
  function listUnsent(list, items) {
    list.textContent = "";
    items.forEach(function (item) {
      var entry = document.createElement("li");
      entry.textContent = clock.format(new Date(item.scanned_at)) + " · " + (item.name || "a code not on this list") +
        " · " + (item.kind === "undo" ? "check-in undone" : item.shown === "welcome" ? "let in" : "not let in");
      list.appendChild(entry);
    });
    list.hidden = !items.length;
  }

  function scheduleSync(ms) {
    clearTimeout(syncTimer);
    if (closed) return;
    root.dataset.nextSyncMs = String(ms);
    syncTimer = setTimeout(syncNow, ms);
  }

  /* Transient failures (no network, 5xx, 409 in progress) back off; permanent ones closed the door
     (404/410, in readJson) or held the batch (door-offline.js), so they are not tried again. */
  function syncFailed(error) {
    if (closed) return 0;
    syncFailures += 1;
    var wait = Math.min(SYNC_EVERY_MS * Math.pow(2, syncFailures), SYNC_BACKOFF_MAX_MS);
    var why = !error || !error.status ? "no answer from the server"
            : error.status === 409 ? "the server is still busy with them" : "server error " + error.status;
    var waiting = door.pending(), note = $("sync-retry");
    note.textContent = "Could not sync (" + why + "). Trying again in " + Math.round(wait / 1000) + " s" +
      (waiting ? "; the " + waiting + " waiting stay queued on this phone." : ".");
    note.hidden = false;
    root.dataset.syncFailures = String(syncFailures);
    return wait;
  }

  function syncNow() {
    if (closed || syncing) return;
    if (!navigator.onLine) {
      setOnline(false);
      return scheduleSync(SYNC_EVERY_MS);
    }
    syncing = true;
    offlineReady.then(function () {
      if (!door.db) return refreshStats();
      return door.sync(request).then(function () {
        root.dataset.state = "ready";
        if (door.ended() && !door.pending()) return endOfDay();
        refreshStats();
      });
    }).then(function () {
      syncFailures = 0;
      root.dataset.syncFailures = "0";
      $("sync-retry").hidden = true;
      return SYNC_EVERY_MS;
    }, syncFailed).then(function (wait) {
      syncing = false;
      renderState();
      scheduleSync(wait);
    });
  }

  function closeDoor(message, wipeAll) {
    if (closed) return;
    closed = true;
    clearTimeout(syncTimer);
    var unsent = wipeAll ? [] : door.unsent();
    door.wipe(unsent.length > 0).then(function () { root.dataset.state = unsent.length ? "closed-unsent" : "wiped"; });
    if (video.srcObject) video.srcObject.getTracks().forEach(function (track) { track.stop(); });
    var text = (message || "This door link no longer opens.") + " This phone's copy of the guest list was wiped.";
    if (unsent.length) {
      text += " " + unsent.length + (unsent.length === 1 ? " scan was" : " scans were") + " not sent to the server: " +
        (unsent.length === 1 ? "it stays" : "they stay") + " on this phone, listed below. Show the list to the organiser.";
    }
    $("closed-message").textContent = text;
    listUnsent($("unsent-list"), unsent);
    $("door-closed").hidden = false;
    ["result", "search", "search-results", "sync-retry", "held-list"].forEach(function (id) { $(id).hidden = true; });
    $("clear-phone").hidden = !unsent.length;
    document.querySelector(".door-camera").hidden = true;
    document.querySelector(".door-search").hidden = true;
  }

  function endOfDay() {
    closeDoor("The gathering's day is over.");
  }

  function clearPhone() {
    var waiting = door.unsent().length;
    var question = waiting ? waiting + " scans have not been sent yet and would be lost. Clear this phone anyway?"
                           : "Remove this door's guest list from this phone?";
    if (!window.confirm(question)) return;
    if (!closed) return closeDoor("Cleared on request.", true);
    door.wipe(false).then(function () { root.dataset.state = "wiped"; });  // a closed door's kept scans
    $("closed-message").textContent = "Cleared on request. This phone's copy of the guest list was wiped.";
    listUnsent($("unsent-list"), []);
    $("clear-phone").hidden = true;
  }

  function cacheThisPage() {
    if (!window.caches) return;
    var assets = [location.href, root.dataset.manifest];
    document.querySelectorAll("script[src], link[rel=stylesheet], link[rel=icon]").forEach(function (el) {
      assets.push(el.src || el.href);
    });
    caches.open(window.DoorOffline.CACHE).then(function (cache) { return cache.addAll(assets); }).catch(function () {});
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.dataset.sw, { scope: root.dataset.scope }).catch(function () {});
  }
  offlineReady.then(function () {
    renderState();
    refreshStats();
    if (door.ended() && !door.pending()) return endOfDay();
    if (navigator.onLine) cacheThisPage();
    syncNow();
  });
  startCamera();
  tick();
})();
