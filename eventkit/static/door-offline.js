/* eventkit door page, offline half: the door's dataset in IndexedDB (keyed by the door link), scans
   decided on the phone with the server's own wording, the queue of actions waiting to be sent, and
   the sync. checkin.js uses it through window.DoorOffline.create(api, urls).
   The dataset holds SHA-256 verifiers of the check-in codes, never the codes. */
(function () {
  "use strict";
  var DB_NAME = "eventkit-door", DB_VERSION = 1, CACHE = "eventkit-door-v1";
  var BATCH = 100, MAX_SCAN = 200, CODE = /^[A-Za-z0-9_-]{16,64}$/;
  /* used only with a dataset saved before the server sent its own `refused_statuses` */
  var REFUSED = { cancelled: "cancelled", declined: "cancelled", waitlisted: "waitlisted", applied: "not_approved" };
  /* the same folding as eventkit/text.py search_key (accents, case, ł ø æ ..., apostrophes, hyphens) */
  var MARKS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7\u064b-\u065f\u0670]/g;
  var PLAIN = { "\u0142": "l", "\u00f8": "o", "\u00e6": "ae", "\u0153": "oe", "\u0111": "d", "\u00f0": "d",
    "\u00fe": "th", "\u0131": "i", "\u0127": "h", "\u0167": "t", "\u00df": "ss", "\u03c2": "\u03c3",
    "'": "", "\u2018": "", "\u2019": "", "\u02bc": "", "\u02bb": "", "`": "",
    "-": " ", "\u2010": " ", "\u2011": " ", "\u2012": " ", "\u2013": " ", "\u2014": " " };
  var PLAIN_CHARS = new RegExp("[" + Object.keys(PLAIN).join("").replace("-", "\\-") + "]", "g");
  var WIDE = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/;

  function fold(text) {
    var s = (text || "").toLowerCase().normalize("NFKD").replace(MARKS, "");
    s = s.replace(PLAIN_CHARS, function (c) { return PLAIN[c]; });
    return s.normalize("NFC").split(/\s+/).filter(Boolean).join(" ");
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }

  function sha256(text) {
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (buffer) {
      return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    });
  }

  function extractCode(scanned) {
    var text = scanned.trim(), marker = text.lastIndexOf("/c/");
    if (marker >= 0) text = text.slice(marker + 3).split("?")[0].split("#")[0].replace(/\/+$/, "");
    return CODE.test(text) ? text : null;
  }

  /* ---- IndexedDB: "datasets" {door, data, syncedAt} and "queue" {nonce, door, ...action} ---- */
  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = function () {
        request.result.createObjectStore("datasets", { keyPath: "door" });
        request.result.createObjectStore("queue", { keyPath: "nonce" }).createIndex("door", "door");
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function transaction(db, mode, work) {
    return new Promise(function (resolve, reject) {
      var tx = db.transaction(["datasets", "queue"], mode), out = {};
      tx.oncomplete = function () { resolve(out.value); };
      tx.onerror = tx.onabort = function () { reject(tx.error); };
      work(tx.objectStore("datasets"), tx.objectStore("queue"), out);
    });
  }

  function readAll(db, key) {
    return transaction(db, "readonly", function (datasets, queue, out) {
      out.value = {};
      datasets.get(key).onsuccess = function (e) { out.value.record = e.target.result || null; };
      queue.index("door").getAll(key).onsuccess = function (e) { out.value.queue = e.target.result; };
    });
  }

  function byScanTime(a, b) { return a.scanned_at < b.scanned_at ? -1 : a.scanned_at > b.scanned_at ? 1 : 0; }

  /* ---- one door on this phone ---- */
  function Door(api, urls) {
    this.api = api;
    this.urls = urls;             // what the page cached of itself (wiped with the dataset)
    this.key = null;              // SHA-256 of the door's API path: the door link, not kept in the clear
    this.db = null;
    this.data = null;
    this.queue = [];
    this.syncedAt = null;
    this.notices = [];
    this.byVerifier = {};
    this.byId = {};
    this.wiped = false;
  }

  Door.prototype.start = function () {
    var self = this;
    return Promise.all([sha256(self.api), openDb()]).then(function (both) {
      self.key = both[0];
      self.db = both[1];
      return readAll(self.db, self.key);
    }).then(function (stored) {
      self.queue = (stored.queue || []).sort(byScanTime);
      if (stored.record) {
        self.syncedAt = stored.record.syncedAt;
        self.use(stored.record.data);
      }
    });
  };

  Door.prototype.ready = function () { return !!this.data; };
  /* actions waiting to be sent; those the server refused as a batch are held, never sent again */
  Door.prototype.pending = function () { return this.queue.filter(sendable).length; };
  Door.prototype.unsent = function () { return this.queue.slice(); };

  function sendable(item) { return !item.held; }

  Door.prototype.ended = function () {
    return !!this.data && Date.now() >= Date.parse(this.data.day.ends);
  };

  Door.prototype.use = function (data) {
    var self = this;
    self.data = data;
    self.byVerifier = {};
    self.byId = {};
    data.guests.forEach(function (guest) { self.byVerifier[guest.verifier] = guest; self.byId[guest.id] = guest; });
    self.queue.forEach(function (item) { self.effect(item); });  // what is not sent yet still counts here
  };

  Door.prototype.effect = function (item) {
    var guest = this.byId[item.guest_id];
    if (!guest) return;
    if (item.effect === "in" && !guest.at) { guest.at = item.scanned_at; guest.door = this.data.door.label; }
    if (item.effect === "out") { guest.at = null; guest.door = null; }
  };

  Door.prototype.save = function () {
    if (this.wiped) return Promise.resolve();
    var self = this, record = { door: self.key, data: self.data, syncedAt: self.syncedAt };
    return transaction(self.db, "readwrite", function (datasets) { datasets.put(record); });
  };

  /* ---- the server's wording, filled in on the phone ---- */
  Door.prototype.clock = function (iso) {
    return new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23",
                                              timeZone: this.data.door.timezone }).format(new Date(iso));
  };

  Door.prototype.answer = function (outcome, guest, title, message, extra) {
    var answer = { outcome: outcome, ok: outcome === "welcome" || outcome === "undone", title: title,
                   message: message, guest: guest ? { id: guest.id, name: guest.name } : null, offline: true };
    return Object.assign(answer, extra || {});
  };

  Door.prototype.welcome = function (guest) {
    var t = this.data.texts, time = this.clock(guest.at);
    var message = fill(t.welcome[1], { time: time }) + (guest.status === "invited" ? t.invited_note : "");
    return this.answer("welcome", guest, fill(t.welcome[0], { name: guest.name }), message,
                       { at: guest.at, time: time, door: this.data.door.label });
  };

  Door.prototype.already = function (guest) {
    var t = this.data.texts, time = this.clock(guest.at);
    var by = guest.door ? fill(t.by_door, { door: guest.door }) : "";
    return this.answer("already", guest, t.already[0], fill(t.already[1], { name: guest.name, time: time, by: by }),
                       { at: guest.at, time: time, door: guest.door });
  };

  Door.prototype.refused = function (reason, guest) {
    var t = this.data.texts, pair = t.refusals[reason] || t.refusals.waitlisted;  // an older saved dataset
    return this.answer(t.shown_as[reason] || reason, guest, pair[0],
                       fill(pair[1], { event: this.data.door.title, name: guest ? guest.name : "" }), { reason: reason });
  };

  Door.prototype.conflictMessage = function (conflict) {
    var t = this.data.texts, by = conflict.kept_door ? fill(t.by_door, { door: conflict.kept_door }) : "";
    return fill(t.conflict[1], { name: conflict.guest.name, time: conflict.kept_time, by: by, again: conflict.time });
  };

  /* ---- decisions on the phone: the same outcomes as eventkit/checkin/services.py ---- */
  Door.prototype.admit = function (guest, now) {
    var refusal = (this.data.refused_statuses || REFUSED)[guest.status];
    if (refusal) return this.refused(refusal, guest);
    if (guest.at) return this.already(guest);
    guest.at = now;
    guest.door = this.data.door.label;
    return this.welcome(guest);
  };

  Door.prototype.scan = function (scanned, nonce) {
    var self = this, scannedAt = new Date().toISOString();
    var sent = scanned.length > MAX_SCAN ? scanned.slice(0, MAX_SCAN + 1) : scanned;  // "too long" either way
    var decided;
    if (scanned.length > MAX_SCAN) decided = Promise.resolve(self.refused("too_long"));
    else if (!extractCode(scanned)) decided = Promise.resolve(self.refused("malformed"));
    else decided = sha256(extractCode(scanned)).then(function (verifier) {
      var guest = self.byVerifier[verifier], replaced = self.data.replaced[verifier];
      if (guest) return self.admit(guest, scannedAt);
      return replaced ? self.refused("replaced", self.byId[replaced]) : self.refused("not_on_list");
    });
    return decided.then(function (answer) {
      var guestId = answer.guest ? answer.guest.id : null;
      return self.enqueue({ kind: "scan", nonce: nonce, code: sent, scanned_at: scannedAt, shown: answer.outcome,
                            guest_id: guestId, name: answer.guest ? answer.guest.name : null,
                            effect: answer.outcome === "welcome" ? "in" : null })
        .then(function () { return answer; });
    });
  };

  function notHere() {
    return Promise.reject({ answer: { outcome: "error", title: "Not possible",
                                      message: "This guest is not on this phone's list yet. Try again when online." } });
  }

  Door.prototype.checkIn = function (attendeeId, nonce) {
    if (!this.byId[attendeeId]) return notHere();
    var now = new Date().toISOString(), guest = this.byId[attendeeId], answer = this.admit(guest, now), self = this;
    return this.enqueue({ kind: "checkin", nonce: nonce, attendee_id: attendeeId, scanned_at: now, shown: answer.outcome,
                          guest_id: attendeeId, name: guest.name, effect: answer.outcome === "welcome" ? "in" : null })
      .then(function () { self.save(); return answer; });
  };

  Door.prototype.undo = function (attendeeId, nonce) {
    if (!this.byId[attendeeId]) return notHere();
    var guest = this.byId[attendeeId], t = this.data.texts, self = this;
    if (!guest.at) {
      return Promise.resolve(this.answer("not_checked_in", guest, t.not_checked_in[0], fill(t.not_checked_in[1], { name: guest.name })));
    }
    guest.at = null;
    guest.door = null;
    return this.enqueue({ kind: "undo", nonce: nonce, attendee_id: attendeeId, scanned_at: new Date().toISOString(),
                          guest_id: attendeeId, name: guest.name, effect: "out" })
      .then(function () { self.save(); return self.answer("undone", guest, t.undone[0], fill(t.undone[1], { name: guest.name })); });
  };

  Door.prototype.enqueue = function (item) {
    if (this.wiped) return Promise.resolve();
    item.door = this.key;
    this.queue.push(item);
    var self = this;
    return transaction(this.db, "readwrite", function (datasets, queue) { queue.put(item); })
      .then(function () { return self.save(); });
  };

  /* an answer the server gave online: keep the phone's copy in step */
  Door.prototype.learn = function (answer) {
    var guest = this.ready() && answer && answer.guest ? this.byId[answer.guest.id] : null;
    if (!guest) return;
    if (answer.outcome === "welcome" || answer.outcome === "already") { guest.at = answer.at || guest.at; guest.door = answer.door; }
    if (answer.outcome === "undone") { guest.at = null; guest.door = null; }
    this.save();
  };

  Door.prototype.search = function (query) {
    var key = fold(query), expected = this.data.expected_statuses, self = this;
    if (key.length < (WIDE.test(key) ? 2 : 3)) return [];
    return this.data.guests.filter(function (guest) { return guest.key.indexOf(key) >= 0; })
      .sort(function (a, b) {
        var ea = expected.indexOf(a.status) >= 0 ? 0 : 1, eb = expected.indexOf(b.status) >= 0 ? 0 : 1;
        return ea - eb || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || a.id - b.id;
      }).slice(0, 20).map(function (guest) {
        return { id: guest.id, name: guest.name, organisation: guest.organisation, status: guest.status,
                 checked_in: !!guest.at, time: guest.at ? self.clock(guest.at) : null };
      });
  };

  Door.prototype.stats = function () {
    var expected = this.data.expected_statuses;
    return { arrived: this.data.guests.filter(function (g) { return g.at; }).length,
             expected: this.data.guests.filter(function (g) { return expected.indexOf(g.status) >= 0; }).length };
  };

  Door.prototype.conflicts = function () { return this.data ? this.data.conflicts : []; };

  /* ---- the sync: queued actions first (oldest first), then a fresh dataset ---- */
  /* A batch the server refuses as a whole (bad JSON, too large, unprocessable) would be refused again:
     it is held on the phone and listed instead of being sent for ever. Other failures reject, and the
     page tries again later (network gone, 5xx, 409 still in progress; 404/410 close the door). */
  function refusesBatch(status) { return status === 400 || status === 411 || status === 413 || status === 422; }

  Door.prototype.sync = function (request) {
    var self = this, batch = self.queue.filter(sendable).slice(0, BATCH);
    var sent = batch.length ? request("POST", "/sync", { actions: batch.map(wire) }).then(function (answer) {
      return self.settle(batch, answer.results);
    }, function (error) {
      if (!refusesBatch(error.status)) throw error;
      return self.hold(batch, error.message);
    }) : Promise.resolve();
    return sent.then(function () { return request("GET", "/dataset"); }).then(function (data) {
      self.syncedAt = Date.now();
      self.use(data);
      return self.save();
    });
  };

  function wire(item) {
    var action = { kind: item.kind, nonce: item.nonce, scanned_at: item.scanned_at };
    if (item.kind === "scan") action.code = item.code; else action.attendee_id = item.attendee_id;
    if (item.shown) action.shown = item.shown;
    return action;
  }

  Door.prototype.settle = function (batch, results) {
    var self = this, done = {};
    results.forEach(function (result, index) {
      var item = batch[index], answer = result.answer;
      done[item.nonce] = true;
      if (result.status === "refused") self.notices.push("Not sent: " + result.message);
      else if (item.shown === "welcome" && answer.outcome !== "welcome" && !answer.conflict) {
        self.notices.push(answer.title + ": " + answer.message);
      }
    });
    self.notices = self.notices.slice(-10);
    self.queue = self.queue.filter(function (item) { return !done[item.nonce]; });
    return transaction(self.db, "readwrite", function (datasets, queue) {
      Object.keys(done).forEach(function (nonce) { queue.delete(nonce); });
    });
  };

  Door.prototype.hold = function (batch, reason) {
    var self = this;
    batch.forEach(function (item) { item.held = reason || "refused by the server"; });
    self.notices.push("The server refused " + batch.length + " queued action" + (batch.length === 1 ? "" : "s") +
                      " (" + (reason || "no reason given") + "). They stay on this phone, listed below, and are " +
                      "not sent again: show them to the organiser.");
    self.notices = self.notices.slice(-10);
    return transaction(self.db, "readwrite", function (datasets, queue) {
      batch.forEach(function (item) { queue.put(item); });
    });
  };

  /* ---- wiping: revoked link, the gathering's day over, or "clear this phone" ---- */
  /* `keepQueue`: a revoked link's actions not sent yet stay (with the page, to list them); the guest list goes */
  Door.prototype.wipe = function (keepQueue) {
    var self = this;
    self.wiped = true;
    self.data = null;
    if (!keepQueue) self.queue = [];
    self.byVerifier = {};
    self.byId = {};
    var stored = self.db ? transaction(self.db, "readwrite", function (datasets, queue) {
      datasets.delete(self.key);
      if (keepQueue) return;
      queue.index("door").openKeyCursor(IDBKeyRange.only(self.key)).onsuccess = function (e) {
        var cursor = e.target.result;
        if (cursor) { queue.delete(cursor.primaryKey); cursor.continue(); }
      };
    }) : Promise.resolve();
    var cached = window.caches && !keepQueue ? caches.open(CACHE).then(function (cache) {
      return Promise.all(self.urls.map(function (url) { return cache.delete(url); }));
    }) : Promise.resolve();
    return Promise.all([stored, cached]);
  };

  window.DoorOffline = {
    CACHE: CACHE,
    create: function (api, urls) { return new Door(api, urls); },
    fold: fold,
    extractCode: extractCode
  };
})();
