/* The medic station page's alarm. A merah incident nobody has responded to yet is rendered with the class
   "alarm" (the server decides: triage merah, status reported); field.css makes it blink. On arrival (this
   page load, or a live swap: siaga:live from siaga/static/js/live.js) and again every RING_EVERY while one
   is waiting, the phone beeps (WebAudio) and vibrates, where the browser allows (both need the page to have
   been touched once). The acknowledgement is the lifecycle's respond step ("Menuju / menangani"): once it
   is sent, or waiting in the phone's queue (field.js marks the card .pending), the card stops ringing. */
(function () {
  "use strict";
  var RING_EVERY = 20000;
  var audio = null, rings = 0, known = {};

  function context() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) { audio = new Context(); }
    return audio;
  }
  // A page may only sound after a touch: the first one unlocks the sound for the rest of the shift.
  function unlock() {
    var a = context();
    if (a && a.state === "suspended") { a.resume(); }
  }
  document.addEventListener("pointerdown", unlock, true);
  document.addEventListener("keydown", unlock, true);

  function beep() {
    var a = context();
    if (!a || a.state !== "running") { return; }
    [0, 0.3, 0.6].forEach(function (at) {
      var tone = a.createOscillator(), volume = a.createGain(), start = a.currentTime + at;
      tone.type = "square";
      tone.frequency.value = 880;
      volume.gain.setValueAtTime(0.15, start);
      volume.gain.setValueAtTime(0, start + 0.18);
      tone.connect(volume);
      volume.connect(a.destination);
      tone.start(start);
      tone.stop(start + 0.2);
    });
  }

  function waiting() {
    return Array.prototype.filter.call(document.querySelectorAll(".card.incident.alarm"), function (card) {
      return !card.classList.contains("pending");
    });
  }

  function ring() {
    rings += 1;
    document.body.setAttribute("data-alarm-rings", String(rings));  // read by the end-to-end tests too
    beep();
    if (navigator.vibrate) { try { navigator.vibrate([300, 150, 300]); } catch (e) { /* not allowed yet */ } }
  }

  function look() {
    var cards = waiting(), fresh = false;
    cards.forEach(function (card) {
      var id = card.getAttribute("data-incident");
      if (!known[id]) { known[id] = true; fresh = true; }
    });
    document.body.setAttribute("data-alarms", String(cards.length));
    if (fresh) { ring(); }
  }

  document.addEventListener("siaga:live", look);
  window.setInterval(function () { if (waiting().length) { ring(); } }, RING_EVERY);
  look();
})();
