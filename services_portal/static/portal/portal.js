// Enhancements only: every page works without this file.
(function () {
  "use strict";

  function readAloud(button) {
    var target = document.getElementById(button.getAttribute("data-read-aloud"));
    if (!target) { return; }
    var synth = window.speechSynthesis;
    var startLabel = button.getAttribute("data-label-start");
    var stopLabel = button.getAttribute("data-label-stop");
    button.hidden = false;
    button.addEventListener("click", function () {
      if (synth.speaking) {
        synth.cancel();
        button.textContent = startLabel;
        return;
      }
      var clone = target.cloneNode(true);
      clone.querySelectorAll("button, form, [aria-hidden=true]").forEach(function (node) { node.remove(); });
      var utterance = new SpeechSynthesisUtterance(clone.textContent.replace(/\s+/g, " ").trim());
      utterance.lang = document.documentElement.lang === "en" ? "en-GB" : "zh-CN";
      utterance.rate = document.body.classList.contains("elder") ? 0.85 : 1;
      utterance.onend = function () { button.textContent = startLabel; };
      button.textContent = stopLabel;
      synth.speak(utterance);
    });
  }

  // A region answer: when another province is chosen, offer its cities and counties in the second list.
  // Without this, the province alone is sent and the page comes back with that province's list.
  function regionChoice(container) {
    var selects = container.querySelectorAll("select");
    var province = selects[0];
    var county = selects[1];
    function option(code, name) {
      var item = document.createElement("option");
      item.value = code;
      item.textContent = name;
      return item;
    }
    province.addEventListener("change", function () {
      var chosen = province.options[province.selectedIndex];
      var url = container.getAttribute("data-region-choice") + "?within=" + encodeURIComponent(chosen.value);
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
        .then(function (found) {
          var notSure = county.options[0].cloneNode(true);
          var top = document.createElement("optgroup");
          top.label = chosen.textContent;
          top.appendChild(option(chosen.value, chosen.textContent));
          var groups = {};
          var order = [top];
          found.forEach(function (region) {
            if (region.level === "city") {
              groups[region.code] = document.createElement("optgroup");
              groups[region.code].label = region.name;
              groups[region.code].appendChild(option(region.code, region.name));
              order.push(groups[region.code]);
            }
          });
          found.forEach(function (region) {
            if (region.level !== "county") { return; }
            (groups[region.parent_code] || top).appendChild(option(region.code, region.name));
          });
          county.replaceChildren(notSure);
          order.forEach(function (group) { county.appendChild(group); });
          county.value = "";
        })
        .catch(function () { /* the page still works: the province alone is sent */ });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-region-choice]").forEach(regionChoice);
    // After a form comes back with errors, take the reader to the list of them.
    var errors = document.querySelector(".error-summary");
    if (errors) { errors.focus(); }
    if (!("speechSynthesis" in window)) { return; }
    document.querySelectorAll("[data-read-aloud]").forEach(readAloud);
  });
})();
