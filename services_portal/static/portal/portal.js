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

  document.addEventListener("DOMContentLoaded", function () {
    // After a form comes back with errors, take the reader to the list of them.
    var errors = document.querySelector(".error-summary");
    if (errors) { errors.focus(); }
    if (!("speechSynthesis" in window)) { return; }
    document.querySelectorAll("[data-read-aloud]").forEach(readAloud);
  });
})();
