// A quiz attempt's countdown: progressive enhancement; the server enforces the time limit.
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function format(seconds) {
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    return (h ? h + ":" + pad(m) : m) + ":" + pad(s);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var timer = document.querySelector("[data-countdown]");
    if (!timer) return;
    var clock = timer.querySelector("[data-countdown-clock]");
    var form = document.getElementById(timer.getAttribute("data-countdown-form"));
    var end = Date.now() + parseInt(timer.getAttribute("data-countdown"), 10) * 1000;
    var submitted = false;
    if (form) form.addEventListener("submit", function () { submitted = true; });
    function tick() {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      clock.textContent = format(left);
      timer.classList.toggle("timer--low", left <= 60);
      if (left === 0) {
        clock.textContent = timer.getAttribute("data-countdown-done") || "0:00";
        if (form && !submitted) {
          submitted = true;
          form.requestSubmit ? form.requestSubmit() : form.submit();
        }
        return;
      }
      window.setTimeout(tick, 1000);
    }
    tick();
  });
})();
