/* Character counters for limited text fields (templates/_limited_text.html): "12 dari 2000 karakter",
 * flagged when close to the limit. The limit itself is the field's maxlength (from the form schema). */
(function () {
  "use strict";
  function update(field, out) {
    var max = +field.getAttribute("maxlength"), n = field.value.length;
    out.textContent = out.getAttribute("data-template").replace("{n}", n).replace("{max}", max);
    out.classList.toggle("near-limit", n >= max * 0.9);
  }
  function counter(field) { return document.getElementById(field.getAttribute("data-counter")); }
  function all() {
    document.querySelectorAll("[data-counter]").forEach(function (field) {
      if (counter(field)) { update(field, counter(field)); }
    });
  }
  // Listened to on the document, so fields a live page swapped in (siaga:live, js/live.js) count too.
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (field.hasAttribute && field.hasAttribute("data-counter") && counter(field)) { update(field, counter(field)); }
  });
  document.addEventListener("reset", function () { setTimeout(all, 0); });
  document.addEventListener("siaga:live", all);
  all();
})();
