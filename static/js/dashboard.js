// Progressive enhancements for the task list. The page is complete without them.
//
// Each enhancement is set up in a task of its own after the page has been parsed
// (`later`), not in the task that ends parsing: on a phone that task already styles
// and lays out the page, and the first use of localStorage (auto-refresh) waits for
// the browser to open the site's storage. Short tasks keep the page responsive while
// it loads (issue 15, Lighthouse's Total Blocking Time).
(function () {
  "use strict";

  function later(setup) {
    window.setTimeout(setup, 0);
  }

  later(setUpCopyLink);
  later(setUpDatePickers);
  later(setUpDateInputs);
  later(setUpAutoRefresh);

  // "Copy link": the URL is the whole view, so copying it shares the view. The words
  // come from the page, in its language: the button's own text, and data-copied on
  // an element around it.
  function setUpCopyLink() {
    var copy = document.querySelector("[data-copy-link]");
    if (!copy || !navigator.clipboard) return;
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

  // The date fields come as text fields taking YYYY-MM-DD (activities/forms.py,
  // DateInput): in the phone's closed filter panel, date pickers cost its first frame
  // though not displayed. They become date pickers, their value kept, whenever they are
  // shown: the panel opened (mouse or keyboard: its toggle event comes before the next
  // key), or a screen wide enough that it is always shown (dashboard.css, 901px).
  function setUpDatePickers() {
    var fields = document.querySelectorAll("input[data-date-input]");
    var panel = fields.length ? fields[0].closest("details") : null;
    if (!panel) return;
    var wide = window.matchMedia("(min-width: 901px)");
    function show() {
      if (!panel.open && !wide.matches) return;
      panel.removeEventListener("toggle", show);
      if (wide.removeEventListener) wide.removeEventListener("change", show);
      fields.forEach(function (input) {
        ["pattern", "placeholder", "title", "data-date-input"].forEach(function (name) {
          input.removeAttribute(name);
        });
        input.type = "date";
      });
    }
    panel.addEventListener("toggle", show);
    if (wide.addEventListener) wide.addEventListener("change", show);  // Safari < 14: no
    show();
  }

  // Typing a date in the filter bar means "these dates": "When" goes to its empty
  // option ("Any time") so that the preset "/" landed on does not conflict with them.
  // Without this, the server drops the preset from the bar's submission all the same.
  function setUpDateInputs() {
    var when = document.getElementById("id_range");
    ["id_scheduled_from", "id_scheduled_to"].forEach(function (id) {
      var input = document.getElementById(id);
      if (!when || !input) return;
      function clearPreset() {
        if (input.value) when.value = "";
      }
      input.addEventListener("input", clearPreset);
      input.addEventListener("change", clearPreset);
    });
  }

  // Auto-refresh every minute, opt-in and remembered; new rows are highlighted. Its
  // choice is kept in localStorage, read here rather than while the page is parsed.
  function setUpAutoRefresh() {
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

    function start() {
      window.clearInterval(timer);
      timer = box.checked ? window.setInterval(reload, 60000) : null;
    }

    function apply() {
      start();
      try { window.localStorage.setItem(KEY, box.checked ? "1" : "0"); } catch (e) { /* private mode */ }
    }

    try { box.checked = window.localStorage.getItem(KEY) === "1"; } catch (e) { box.checked = false; }
    box.addEventListener("change", apply);
    start();  // what was remembered is not written back on every page
  }
})();
