/* Character counters for limited text fields (templates/_limited_text.html): "12 dari 2000 karakter",
 * flagged when close to the limit. The limit itself is the field's maxlength (from the form schema). */
(function () {
  "use strict";
  function update(field, out) {
    var max = +field.getAttribute("maxlength"), n = field.value.length;
    out.textContent = out.getAttribute("data-template").replace("{n}", n).replace("{max}", max);
    out.classList.toggle("near-limit", n >= max * 0.9);
  }
  document.querySelectorAll("[data-counter]").forEach(function (field) {
    var out = document.getElementById(field.getAttribute("data-counter"));
    if (!out) { return; }
    field.addEventListener("input", function () { update(field, out); });
    field.form && field.form.addEventListener("reset", function () { setTimeout(function () { update(field, out); }, 0); });
    update(field, out);
  });
})();
