// Cascade's small amount of JavaScript: progressive enhancement only; every page works without it.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-nav-toggle]");
    if (toggle) {
      var nav = document.getElementById(toggle.getAttribute("aria-controls"));
      var open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", open ? "false" : "true");
      if (nav) nav.classList.toggle("is-open", !open);
    }
    var confirmEl = event.target.closest("[data-confirm]");
    if (confirmEl && !window.confirm(confirmEl.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
    var copy = event.target.closest("[data-copy]");
    if (copy && navigator.clipboard) {
      var src = document.getElementById(copy.getAttribute("data-copy"));
      if (src) navigator.clipboard.writeText(src.textContent.trim());
      copy.textContent = copy.getAttribute("data-copied") || "Copied";
    }
  });
})();
