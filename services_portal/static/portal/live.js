// Live inbox: a signed-in citizen's open page hears of a new message without a reload.
// Enhancement only: without this file, or without a connection, the page works as before and the
// inbox (the truth) and the header's count are right on the next page.
(function () {
  "use strict";

  var FIRST_DELAY = 1000;
  var LONGEST_DELAY = 60000;
  // A socket refused this many times in a row (signed out elsewhere, no server) is given up.
  var MOST_FAILURES = 10;

  var region = document.querySelector("[data-live-url]");
  var banner = document.getElementById("live-banner");
  if (!region || !banner || !("WebSocket" in window)) { return; }

  var socket = null;
  var delay = FIRST_DELAY;
  var failures = 0;
  var retry = null;
  var stopped = false;

  function socketUrl() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + region.getAttribute("data-live-url");
  }

  function showCount(unread) {
    document.querySelectorAll("[data-live-unread]").forEach(function (count) {
      var number = count.querySelector("[data-live-unread-number]");
      if (number) { number.textContent = String(unread); }
      count.hidden = !(unread > 0);
    });
  }

  function show(message) {
    var shown = banner.content.firstElementChild.cloneNode(true);
    var link = shown.querySelector("a");
    link.textContent = message.title;
    link.href = link.getAttribute("href") + "#message-" + encodeURIComponent(message.id);
    // The region stays in the page, so that screen readers announce what is put in it.
    region.replaceChildren(shown);
    if (typeof message.unread === "number") { showCount(message.unread); }
  }

  function connect() {
    retry = null;
    var opened = false;
    var current = new WebSocket(socketUrl());
    socket = current;
    current.addEventListener("open", function () {
      opened = true;
      delay = FIRST_DELAY;
      failures = 0;
      region.setAttribute("data-live-state", "open");
    });
    current.addEventListener("message", function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (message && message.type === "notification") { show(message); }
    });
    current.addEventListener("close", function () {
      if (socket !== current) { return; }
      socket = null;
      region.removeAttribute("data-live-state");
      if (!opened) { failures += 1; }
      if (stopped || failures >= MOST_FAILURES) { return; }
      // Back off, with some jitter so that pages do not all come back at the same moment.
      retry = window.setTimeout(connect, delay + Math.random() * delay / 2);
      delay = Math.min(delay * 2, LONGEST_DELAY);
    });
  }

  // A page kept in the back-forward cache closes its socket, and opens one again when shown.
  window.addEventListener("pagehide", function () {
    stopped = true;
    if (retry) { window.clearTimeout(retry); }
    if (socket) { socket.close(); }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && stopped) {
      stopped = false;
      delay = FIRST_DELAY;
      failures = 0;
      connect();
    }
  });

  connect();
})();
