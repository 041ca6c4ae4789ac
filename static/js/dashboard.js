// Progressive enhancements for the task list. The page is complete without them.
(function () {
  "use strict";

  // "Copy link": the URL is the whole view, so copying it shares the view. The words
  // come from the page, in its language: the button's own text, and data-copied on
  // an element around it.
  var copy = document.querySelector("[data-copy-link]");
  if (copy && navigator.clipboard) {
    var label = copy.textContent;
    var holder = copy.closest("[data-copied]");
    var copied = (holder && holder.getAttribute("data-copied")) || label;
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(window.location.href).then(function () {
        copy.textContent = copied;
        window.setTimeout(function () { copy.textContent = label; }, 2000);
      });
    });
  }

  // Auto-refresh every minute, opt-in and remembered; new rows are highlighted.
  var toggle = document.querySelector("[data-auto-refresh]");
  var results = document.getElementById("results");
  if (!toggle || !results || !window.fetch || !window.DOMParser) return;
  var box = toggle.querySelector("input");
  var KEY = "tasks-auto-refresh";
  var timer = null;
  toggle.hidden = false;

  function ids(root) {
    var seen = {};
    root.querySelectorAll("tbody.task[data-id]").forEach(function (row) { seen[row.dataset.id] = true; });
    return seen;
  }

  // A polite live region outside #results says that the list changed, and how it
  // reads now (its count line), without moving the focus.
  var status = document.querySelector("[data-refresh-status]");
  function announce(fresh) {
    if (!status) return;
    var count = fresh.querySelector(".count");
    var text = status.getAttribute("data-updated") + (count ? " " + count.textContent.replace(/\s+/g, " ").trim() : "");
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function reload() {
    var before = ids(results);
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("results");
        if (!fresh) return;
        var openIds = {};
        results.querySelectorAll("tbody.task details[open]").forEach(function (d) {
          openIds[d.closest("tbody").dataset.id] = true;
        });
        results.innerHTML = fresh.innerHTML;
        document.title = doc.title;
        announce(fresh);
        results.querySelectorAll("tbody.task[data-id]").forEach(function (row) {
          if (!before[row.dataset.id]) row.classList.add("is-new");
          if (openIds[row.dataset.id]) row.querySelector("details").open = true;
        });
      })
      .catch(function () { /* keep what is shown; the next tick tries again */ });
  }

  function apply() {
    window.clearInterval(timer);
    timer = box.checked ? window.setInterval(reload, 60000) : null;
    try { window.localStorage.setItem(KEY, box.checked ? "1" : "0"); } catch (e) { /* private mode */ }
  }

  try { box.checked = window.localStorage.getItem(KEY) === "1"; } catch (e) { box.checked = false; }
  box.addEventListener("change", apply);
  apply();
})();
