// Enhancements only: every page works without this file.
(function () {
  "use strict";

  // Read-aloud (适老化): the whole page, or one section of it, with pause/resume and stop. One reader at a
  // time: starting another stops the first. The text is spoken a sentence at a time, as long utterances
  // are cut off by some browsers, and pause/resume act on the queue.
  var reading = null; // {group, paused}

  function spokenText(nodes) {
    return nodes.filter(function (node) { return !node.classList.contains("read-aloud"); }).map(function (node) {
      var clone = node.cloneNode(true);
      if (clone.querySelectorAll) {
        clone.querySelectorAll(
          "button, select, input, textarea, script, template, [hidden], [aria-hidden=true], .read-aloud"
        ).forEach(function (skip) { skip.remove(); });
      }
      return clone.textContent;
    }).join(" ").replace(/\s+/g, " ").trim();
  }

  function sentences(text) {
    return text.match(/[^。！？；.!?;]+[。！？；.!?;]*/g) || [];
  }

  function showState(group, state) {
    var pause = group.querySelector("[data-read-aloud-action=pause]");
    var stop = group.querySelector("[data-read-aloud-action=stop]");
    var labels = document.querySelector("[data-label-pause]");
    pause.hidden = stop.hidden = state === "idle";
    pause.textContent = labels.getAttribute(state === "paused" ? "data-label-resume" : "data-label-pause");
    group.classList.toggle("read-aloud-active", state !== "idle");
  }

  function stopReading() {
    if (!reading) { return; }
    var group = reading.group;
    reading = null;
    window.speechSynthesis.cancel();
    showState(group, "idle");
  }

  function startReading(group, nodes) {
    var synth = window.speechSynthesis;
    stopReading();
    var parts = sentences(spokenText(nodes));
    if (!parts.length) { return; }
    var mine = { group: group, paused: false };
    reading = mine;
    parts.forEach(function (part, index) {
      var utterance = new SpeechSynthesisUtterance(part);
      utterance.lang = document.documentElement.lang === "en" ? "en-GB" : "zh-CN";
      utterance.rate = document.body.classList.contains("elder") ? 0.85 : 1;
      if (index === parts.length - 1) {
        utterance.onend = function () { if (reading === mine) { reading = null; showState(group, "idle"); } };
      }
      synth.speak(utterance);
    });
    showState(group, "playing");
  }

  function readAloudGroup(group, nodes) {
    group.hidden = false;
    group.addEventListener("click", function (event) {
      var button = event.target.closest("[data-read-aloud-action]");
      if (!button) { return; }
      var action = button.getAttribute("data-read-aloud-action");
      if (action === "read") {
        startReading(group, nodes());
      } else if (action === "stop") {
        stopReading();
        group.querySelector("[data-read-aloud-action=read]").focus();
      } else if (reading && reading.group === group) {
        reading.paused = !reading.paused;
        if (reading.paused) { window.speechSynthesis.pause(); } else { window.speechSynthesis.resume(); }
        showState(group, reading.paused ? "paused" : "playing");
      }
    });
  }

  // A section: an h2 of the page (not one in a card or list item) and what follows it up to the next
  // heading of its level, or an element marked data-read-aloud-section.
  function sectionNodes(heading) {
    var nodes = [heading];
    for (var node = heading.nextElementSibling; node; node = node.nextElementSibling) {
      if (/^H[12]$/.test(node.tagName) || node.querySelector("h1, h2")) { break; }
      nodes.push(node);
    }
    return nodes;
  }

  function readAloudSections(page) {
    var template = document.getElementById("read-aloud-section");
    var main = document.getElementById(page.getAttribute("data-read-aloud"));
    if (!template || !main) { return; }
    main.querySelectorAll("h2, [data-read-aloud-section]").forEach(function (section) {
      if (section.tagName === "H2" && section.closest("li, .card, .error-summary, [data-read-aloud-section], [hidden]")) {
        return;
      }
      var group = template.content.firstElementChild.cloneNode(true);
      var heading = section.tagName === "H2" ? section : section.querySelector("h2, h3");
      var read = group.querySelector("[data-read-aloud-action=read]");
      if (heading) {
        // Its name says which part: the words on it, then the heading ("Read this part aloud: Who can get it").
        read.setAttribute("aria-label", read.textContent.trim() + ": " + heading.textContent.replace(/\s+/g, " ").trim());
      }
      if (section.tagName === "H2") {
        section.insertAdjacentElement("afterend", group);
        readAloudGroup(group, function () { return sectionNodes(section); });
      } else {
        section.insertBefore(group, heading ? heading.nextSibling : section.firstChild);
        readAloudGroup(group, function () { return [section]; });
      }
    });
    readAloudGroup(page, function () { return [main]; });
  }

  // A region answer in three lists: province, city, county. When a list changes, the lists below it are
  // refilled from the region API, so the county list holds one city's counties. Without this, the most
  // exact answer that agrees is sent, and the page comes back with the chosen city's counties.
  function regionChoice(container) {
    var selects = container.querySelectorAll("select");
    var province = selects[0];
    var city = selects[1];
    var county = selects[2];
    var api = container.getAttribute("data-region-choice");
    function option(code, name) {
      var item = document.createElement("option");
      item.value = code;
      item.textContent = name;
      return item;
    }
    function refill(list, regions) {
      var notSure = list.options[0].cloneNode(true);
      list.replaceChildren(notSure);
      regions.forEach(function (region) { list.appendChild(option(region.code, region.name)); });
      list.value = "";
    }
    function within(code) {
      return fetch(api + "?within=" + encodeURIComponent(code), {
        headers: { Accept: "application/json" }, credentials: "same-origin"
      }).then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      });
    }
    province.addEventListener("change", function () {
      var chosen = province.options[province.selectedIndex];
      within(chosen.value).then(function (found) {
        var direct = found.some(function (region) { return region.parent_code === chosen.value && region.level === "county"; });
        var cities = found.filter(function (region) { return region.level === "city"; });
        refill(city, (direct ? [{ code: chosen.value, name: chosen.textContent }] : []).concat(cities));
        refill(county, []);
      }).catch(function () { /* the page still works: the province alone is sent */ });
    });
    city.addEventListener("change", function () {
      if (!city.value) { refill(county, []); return; }
      var code = city.value;
      within(code).then(function (found) {
        refill(county, found.filter(function (region) { return region.level === "county" && region.parent_code === code; }));
      }).catch(function () { /* the page still works: the city alone is sent */ });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-region-choice]").forEach(regionChoice);
    // After a form comes back with errors, take the reader to the list of them.
    var errors = document.querySelector(".error-summary");
    if (errors) { errors.focus(); }
    if (!("speechSynthesis" in window)) { return; }
    document.querySelectorAll("[data-read-aloud]").forEach(readAloudSections);
    window.addEventListener("pagehide", stopReading);
  });

  // The service worker (services_portal/core/webapp.py) keeps the app shell and shows an offline page
  // when there is no connection; it never keeps a page or anything personal. The site works without it.
  var worker = document.querySelector("script[data-service-worker]");
  if (worker && "serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register(worker.getAttribute("data-service-worker"), { scope: "/" })
        .catch(function () { /* no offline page, nothing else lost */ });
    });
  }
})();
