/*
 * Tells the server the browser's time zone, in the `tz` cookie, so that dates are
 * shown in it (activities/timezones.py). Progressive enhancement: without it the
 * server's zone is used.
 *
 * Reads two attributes of <html>:
 *   data-tz-rendered  the zone this page's dates are shown in
 *   data-tz-pref      the signed-in user's saved zone, "" when they follow the browser
 * When the page was shown in another zone than the browser's, the user saved no zone
 * of their own, and the cookie has just been set or changed, the page is reloaded
 * once so that its dates come out right. sessionStorage stops any loop.
 */
(function () {
  "use strict";

  var COOKIE = "tz";
  var GUARD = "tz-reloaded-for";

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

  function reloadedFor() {
    try {
      return window.sessionStorage.getItem(GUARD);
    } catch (e) {
      return null;
    }
  }

  function markReloaded(zone) {
    try {
      window.sessionStorage.setItem(GUARD, zone);
      return true;
    } catch (e) {
      return false; // no storage, no guard: better not to reload at all
    }
  }

  var zone = browserZone();
  // Zone names are letters, digits and / _ + -: safe in a cookie as they are.
  if (!zone || !/^[A-Za-z0-9/_+-]+$/.test(zone)) {
    return;
  }

  var before = readCookie(COOKIE);
  if (before !== zone) {
    document.cookie = COOKIE + "=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
  }

  var root = document.documentElement;
  var rendered = root.getAttribute("data-tz-rendered");
  var pref = root.getAttribute("data-tz-pref");
  if (!rendered || pref || rendered === zone) {
    return;
  }
  // The server already had this cookie and still chose another zone: a reload
  // would change nothing. Cookies may also be blocked.
  if (before === zone || readCookie(COOKIE) !== zone) {
    return;
  }
  if (reloadedFor() === zone || !markReloaded(zone)) {
    return;
  }
  window.location.reload();
})();
