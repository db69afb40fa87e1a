// Offline entry: the service worker, the queue of entries typed with no network, and
// the banner "N entries waiting to send". Every string comes from the page (the banner's
// data-config, rendered in the reader's language); nothing here is English.
//
// A queued entry is the log form's fields (files included) kept in IndexedDB under the
// client UUID the form carries (crypto.randomUUID). The server treats that UUID as an
// idempotency key, so sending an entry twice stores it once. Sending happens on page
// load, on the `online` event, every 30 s while entries wait, and on "Send now"; each
// round first fetches a fresh CSRF token (tokens expire). A signed-out session keeps the
// queue and asks to sign in again; an entry the server refuses stays, with its message
// and a link that opens it in the form with the typed values.
(function () {
  "use strict";
  var swMeta = document.querySelector("meta[name=greenapp-sw]");
  var banner = document.getElementById("offline-queue");
  var DB_NAME = "greenapp-offline";
  var STORE = "entries";
  var RETRY_MS = 30000;

  if ("serviceWorker" in navigator && swMeta && window.isSecureContext) {
    navigator.serviceWorker.register(swMeta.getAttribute("content"), { scope: "/" })
      .catch(function () { /* the page works without it */ });
    if (!banner && navigator.serviceWorker.controller) {
      // Signed out: the kept form page belonged to someone; forget it.
      navigator.serviceWorker.controller.postMessage("forget-shell");
    }
  }
  if (!banner || !window.indexedDB) { return; }

  var config = JSON.parse(banner.getAttribute("data-config"));
  var form = document.querySelector("form.offline-form");
  var sending = false;
  var needSignIn = false;

  // --- IndexedDB ------------------------------------------------------------------------
  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () {
        var store = req.result.createObjectStore(STORE, { keyPath: "uuid" });
        store.createIndex("user", "user");
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function tx(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var result = work(t.objectStore(STORE));
        t.oncomplete = function () { db.close(); resolve(result && "result" in result ? result.result : result); };
        t.onerror = function () { db.close(); reject(t.error); };
      });
    });
  }
  function mine() {
    return tx("readonly", function (store) { return store.index("user").getAll(config.user); })
      .then(function (items) {
        return (items || []).sort(function (a, b) { return a.created - b.created; });
      });
  }
  function put(item) { return tx("readwrite", function (store) { store.put(item); }); }
  function remove(uuid) { return tx("readwrite", function (store) { store.delete(uuid); }); }
  function getOne(uuid) { return tx("readonly", function (store) { return store.get(uuid); }); }

  // --- text -----------------------------------------------------------------------------
  function countText(n) {
    var text = config.plural["5"];
    if (window.Intl && Intl.PluralRules) {
      var rules = new Intl.PluralRules(document.documentElement.lang || "en");
      var want = rules.select(n);
      ["1", "2", "5"].some(function (rep) {
        if (rules.select(Number(rep)) === want) { text = config.plural[rep]; return true; }
        return false;
      });
    } else if (n === 1) {
      text = config.plural["1"];
    }
    return text.replace("{n}", String(n));
  }
  function status(text) { banner.querySelector(".offline-status").textContent = text || ""; }

  // --- the banner -----------------------------------------------------------------------
  function render() {
    return mine().then(function (items) {
      var waiting = items.filter(function (i) { return i.status !== "rejected"; });
      var rejected = items.filter(function (i) { return i.status === "rejected"; });
      banner.querySelector(".offline-line").hidden = waiting.length === 0;
      banner.querySelector(".offline-count").textContent = countText(waiting.length);
      banner.querySelector(".offline-send").disabled = sending || !navigator.onLine;
      banner.querySelector(".offline-signin").hidden = !needSignIn || waiting.length === 0;
      var list = banner.querySelector(".offline-rejected");
      var tpl = banner.querySelector("template.offline-rejected-item");
      list.textContent = "";
      rejected.forEach(function (item) {
        var li = tpl.content.firstElementChild.cloneNode(true);
        var messages = Object.keys(item.errors || {}).map(function (k) { return item.errors[k]; });
        li.querySelector(".offline-reason").textContent = config.rejected
          .replace("{day}", day(value(item, "action_date")))
          .replace("{message}", messages.join(" "));
        li.querySelector(".offline-open").href = config.post + "?queued=" + encodeURIComponent(item.uuid);
        li.querySelector(".offline-discard").addEventListener("click", function () {
          remove(item.uuid).then(render);
        });
        list.appendChild(li);
      });
      var said = banner.querySelector(".offline-status").textContent;
      banner.hidden = !(items.length || needSignIn || said);
      return waiting.length;
    });
  }

  function day(iso) {
    // The typed date as the pages show it ("25 қараша 2026 ж."): the server gives each
    // month's long format for the 28th of 2001.
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    var pattern = m && config.months && config.months[Number(m[2]) - 1];
    if (!pattern) { return iso || ""; }
    return pattern.replace("2001", m[1]).replace("28", String(Number(m[3])));
  }

  function value(item, name) {
    for (var i = 0; i < item.fields.length; i++) {
      if (item.fields[i][0] === name) { return item.fields[i][1]; }
    }
    return "";
  }

  // --- sending --------------------------------------------------------------------------
  var ASK = { credentials: "same-origin", redirect: "manual", cache: "no-store",
              headers: { Accept: "application/json" } };

  function freshToken() {
    return fetch(config.token, ASK).then(function (resp) {
      if (resp.type === "opaqueredirect" || resp.status === 401 || resp.status === 403) {
        return { signIn: true };
      }
      if (!resp.ok) { throw new Error("token " + resp.status); }
      return resp.json().then(function (data) {
        return data.user === config.user ? { token: data.csrf_token } : { signIn: true };
      });
    });
  }

  function sendOne(item, token) {
    var body = new FormData();
    item.fields.forEach(function (pair) {
      if (pair[0] !== "csrf_token") { body.append(pair[0], pair[1]); }
    });
    body.set("csrf_token", token);
    body.set("client_uuid", item.uuid);
    var opts = { method: "POST", body: body, credentials: "same-origin", redirect: "manual",
                 headers: { Accept: "application/json" } };
    return fetch(config.post, opts).then(function (resp) {
      if (resp.type === "opaqueredirect") { return "signin"; }
      if (resp.status === 200 || resp.status === 201) {
        return remove(item.uuid).then(function () { return "sent"; });
      }
      if (resp.status === 422) {
        return resp.json().then(function (data) {
          item.status = "rejected";
          item.errors = data.errors || {};
          return put(item).then(function () { return "rejected"; });
        });
      }
      if (resp.status === 400) { return "token"; }
      return "later";
    });
  }

  function flush() {
    if (sending || !navigator.onLine) { return render(); }
    return mine().then(function (items) {
      var waiting = items.filter(function (i) { return i.status !== "rejected"; });
      if (!waiting.length) { needSignIn = false; return render(); }
      sending = true;
      status(config.sending);
      render();
      var retried = false;
      var refused = 0;
      function round() {
        return freshToken().then(function (answer) {
          if (answer.signIn) { needSignIn = true; return "signin"; }
          needSignIn = false;
          var chain = Promise.resolve("sent");
          waiting.forEach(function (item) {
            chain = chain.then(function (last) {
              if (last === "signin" || last === "token" || last === "later") { return last; }
              return sendOne(item, answer.token).then(function (outcome) {
                if (outcome === "sent" || outcome === "rejected") {
                  waiting = waiting.filter(function (w) { return w !== item; });
                  if (outcome === "rejected") { refused += 1; }
                  return "sent";
                }
                return outcome;
              });
            });
          });
          return chain;
        }).then(function (last) {
          if (last === "token" && !retried) { retried = true; return round(); }
          if (last === "token") { needSignIn = true; return "signin"; }
          return last;
        });
      }
      return round().then(function (last) {
        status(last === "signin" ? config.signin : last === "later" ? config.failed
          : refused ? config.refused : waiting.length ? "" : config.sent);
      }, function () {
        status(config.failed);
      }).then(function () {
        sending = false;
        return render();
      });
    });
  }

  // --- the form -------------------------------------------------------------------------
  function newUuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return "";
  }

  function fieldsOf(formEl) {
    var pairs = [];
    new FormData(formEl).forEach(function (v, k) {
      if (k === "csrf_token") { return; }
      if (typeof v !== "string" && (!v || !v.name || !v.size)) { return; }  // an empty file input
      pairs.push([k, v]);
    });
    return pairs;
  }

  function fieldError(name, text) {
    var input = form.querySelector("[name='" + name + "']");
    var box = input && input.closest(".field");
    if (!box) { status(text); return; }
    var p = document.createElement("p");
    p.className = "error client";
    p.setAttribute("role", "alert");
    p.textContent = text;
    box.appendChild(p);
    box.classList.add("has-error");
  }

  function fill(item) {
    var category = form.querySelector("[name=category]");
    item.fields.forEach(function (pair) {
      var name = pair[0];
      var val = pair[1];
      if (name === "category" && category) {
        category.value = val;
        category.dispatchEvent(new Event("change"));
      }
    });
    var files = [];
    item.fields.forEach(function (pair) {
      var name = pair[0];
      var val = pair[1];
      if (typeof val !== "string") { files.push(val); return; }
      var inputs = form.querySelectorAll("[name='" + name + "']");
      inputs.forEach(function (input) {
        if (input.type === "radio" || input.type === "checkbox") {
          input.checked = input.value === val;
        } else if (input.type !== "file") {
          input.value = val;
        }
      });
    });
    var fileInput = form.querySelector("input[type=file]");
    if (files.length && fileInput && window.DataTransfer) {
      var dt = new DataTransfer();
      files.forEach(function (f) { dt.items.add(f); });
      fileInput.files = dt.files;
    }
    var uuid = form.querySelector("[name=client_uuid]");
    if (uuid) { uuid.value = item.uuid; }
    if (item.status === "rejected") {
      status(config.fix);
      Object.keys(item.errors || {}).forEach(function (k) { fieldError(k, item.errors[k]); });
    }
  }

  if (form) {
    var uuidInput = form.querySelector("[name=client_uuid]");
    if (uuidInput && !uuidInput.value) { uuidInput.value = newUuid(); }
    var queued = new URLSearchParams(window.location.search).get("queued");
    if (queued) {
      getOne(queued).then(function (item) {
        if (item && item.user === config.user) { fill(item); }
      });
    }
    // Capture phase: runs before the upload script's handler, which it may replace.
    form.addEventListener("submit", function (event) {
      if (!uuidInput || !uuidInput.value) { return; }
      var fromQueue = queued && uuidInput.value === queued;
      if (navigator.onLine && !fromQueue) { return; }  // an ordinary submit
      event.preventDefault();
      event.stopImmediatePropagation();
      var item = { uuid: uuidInput.value, user: config.user, fields: fieldsOf(form),
                   created: Date.now(), status: "waiting", errors: {} };
      put(item).then(function () {
        if (navigator.onLine) {
          // A corrected entry from the queue: send it now, through the same path.
          window.location.assign(config.post);
          return;
        }
        form.reset();
        form.querySelectorAll(".error.client").forEach(function (p) { p.remove(); });
        form.querySelectorAll(".has-error").forEach(function (box) {
          if (!box.querySelector(".error")) { box.classList.remove("has-error"); }
        });
        uuidInput.value = newUuid();
        queued = null;
        var category = form.querySelector("[name=category]");
        if (category) { category.dispatchEvent(new Event("change")); }
        status(config.queued);
        render();
      });
    }, true);
  }

  // --- triggers -------------------------------------------------------------------------
  window.addEventListener("online", function () { flush(); });
  window.addEventListener("offline", function () { status(config.offline); render(); });
  banner.querySelector(".offline-send").addEventListener("click", function () { flush(); });
  window.setInterval(function () { if (navigator.onLine) { flush(); } }, RETRY_MS);
  if (!navigator.onLine) { status(config.offline); }
  flush();
})();
