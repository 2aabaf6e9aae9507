// Discussions: suggest the people one may @mention while typing a post. Progressive
// enhancement only: without it, "Who can I mention?" leads to the same list as a page.
(function () {
  "use strict";
  var MENTION = /(^|[^\w@.+\-])@([A-Za-z0-9._%+\-]{1,60})$/;
  var counter = 0;
  var pending = null;

  function mentionAt(box) {
    var before = box.value.slice(0, box.selectionStart);
    var match = MENTION.exec(before);
    if (!match) return null;
    return { prefix: match[2], start: before.length - match[2].length - 1, end: before.length };
  }

  function listFor(box) {
    var id = box.getAttribute("aria-controls");
    var list = id && document.getElementById(id);
    if (list) return list;
    counter += 1;
    list = document.createElement("ul");
    list.id = "mention-box-" + counter;
    list.className = "mention-box";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "People you can mention");
    list.hidden = true;
    box.insertAdjacentElement("afterend", list);
    box.setAttribute("aria-controls", list.id);
    box.setAttribute("aria-autocomplete", "list");
    return list;
  }

  function close(box) {
    var list = listFor(box);
    list.hidden = true;
    list.textContent = "";
    box.removeAttribute("aria-activedescendant");
  }

  function options(box) {
    return Array.prototype.slice.call(listFor(box).querySelectorAll("[role=option]"));
  }

  function select(box, index) {
    var all = options(box);
    all.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (all[index]) box.setAttribute("aria-activedescendant", all[index].id);
  }

  function choose(box, handle) {
    var at = mentionAt(box);
    if (!at) return close(box);
    var text = "@" + handle + " ";
    box.value = box.value.slice(0, at.start) + text + box.value.slice(at.end);
    var caret = at.start + text.length;
    box.setSelectionRange(caret, caret);
    close(box);
    box.focus();
  }

  function show(box, html) {
    var list = listFor(box);
    var doc = new DOMParser().parseFromString(html, "text/html");
    list.textContent = "";
    doc.querySelectorAll("[data-handle]").forEach(function (item, i) {
      var option = document.createElement("li");
      option.id = list.id + "-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dataset.handle = item.getAttribute("data-handle");
      var name = document.createElement("span");
      name.className = "mention-box__name";
      name.textContent = (item.querySelector(".mention-list__name") || item).textContent.trim();
      var handle = document.createElement("span");
      handle.className = "mention-box__handle";
      handle.textContent = "@" + option.dataset.handle;
      option.append(name, " ", handle);
      list.appendChild(option);
    });
    if (!list.children.length) return close(box);
    list.hidden = false;
    select(box, 0);
  }

  function suggest(box) {
    var at = mentionAt(box);
    var form = box.closest("[data-mentions-url]");
    if (!at || !form) return close(box);
    var url = form.getAttribute("data-mentions-url") + "?q=" + encodeURIComponent(at.prefix);
    var asked = box.value;
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) { if (box.value === asked) show(box, html); })
      .catch(function () { close(box); });
  }

  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("textarea[data-mentions]")) return;
    window.clearTimeout(pending);
    pending = window.setTimeout(function () { suggest(box); }, 200);
  });

  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("textarea[data-mentions]")) return;
    var list = box.getAttribute("aria-controls") && document.getElementById(box.getAttribute("aria-controls"));
    if (!list || list.hidden) return;
    var all = options(box);
    var current = all.findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      select(box, (current + step + all.length) % all.length);
    } else if ((event.key === "Enter" || event.key === "Tab") && all[current]) {
      event.preventDefault();
      choose(box, all[current].dataset.handle);
    } else if (event.key === "Escape") {
      event.preventDefault();
      close(box);
    }
  });

  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest(".mention-box [role=option]");
    if (!option) return;
    event.preventDefault();  // keep the focus (and the caret) in the box
    var box = document.querySelector("[aria-controls='" + option.parentNode.id + "']");
    if (box) choose(box, option.dataset.handle);
  });

  document.addEventListener("focusout", function (event) {
    var box = event.target;
    if (box.matches && box.matches("textarea[data-mentions]")) {
      window.setTimeout(function () { if (document.activeElement !== box) close(box); }, 150);
    }
  });
})();
