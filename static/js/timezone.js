/*
 * Tells the server the browser's time zone, in the `tz` cookie, so that dates are
 * shown in it (activities/timezones.py). Progressive enhancement: without it the
 * server's zone is used, and the header says which ("Times in …").
 *
 * Never reloads: the cookie is set on the first click or form submission (the sign-in
 * form's among them), so the first page after signing in already comes in the
 * browser's zone. A page shown before the cookie existed says its zone and is right
 * from the next page on.
 */
(function () {
  "use strict";

  var COOKIE = "tz";

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      return "";
    }
  }

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) {
        return parts[i].slice(eq + 1);
      }
    }
    return null;
  }

  function remember() {
    var zone = browserZone();
    // Zone names are letters, digits and / _ + -: safe in a cookie as they are.
    if (zone && /^[A-Za-z0-9/_+-]+$/.test(zone) && readCookie(COOKIE) !== zone) {
      document.cookie = COOKIE + "=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
    }
  }

  // Only the next request needs the cookie, and it starts from a click or a form: asking
  // the browser for its zone then, not while the page loads, keeps that lookup (it
  // loads the zone data) out of a phone's first second.
  document.addEventListener("click", remember, true);
  document.addEventListener("submit", remember, true);
})();
