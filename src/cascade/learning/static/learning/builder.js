// Program builder: progressive enhancement only; every page works without it.
// - suggests a short name (slug) from the title while the slug has not been typed in;
// - lets steps be reordered by dragging (the arrow buttons remain the accessible way).
(function () {
  "use strict";

  function slugify(text) {
    return text
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9\s-]/g, "")
      .trim()
      .replace(/[\s-]+/g, "-")
      .slice(0, 80)
      .replace(/-+$/, "");
  }

  function setUpSlug(slug) {
    var title = document.getElementById(slug.getAttribute("data-slug-from"));
    if (!title) return;
    var touched = slug.value !== "";
    slug.addEventListener("input", function () { touched = slug.value !== ""; });
    title.addEventListener("input", function () {
      if (!touched) slug.value = slugify(title.value);
    });
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function setUpReorder(list) {
    var url = list.getAttribute("data-reorder-url");
    var dragged = null;
    var startOrder = "";

    function order() {
      return Array.prototype.map.call(list.querySelectorAll("[data-step-id]"), function (li) {
        return li.getAttribute("data-step-id");
      });
    }

    function save() {
      var ids = order();
      if (ids.join(",") === startOrder) return;
      var body = new URLSearchParams();
      ids.forEach(function (id) { body.append("order", id); });
      list.classList.add("is-saving");
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
        body: body
      }).then(function (response) {
        if (!response.ok) window.alert(list.getAttribute("data-reorder-error"));
        window.location.reload();
      }, function () {
        window.alert(list.getAttribute("data-reorder-error"));
        window.location.reload();
      });
    }

    Array.prototype.forEach.call(list.querySelectorAll("[data-step-id]"), function (li) {
      var handle = li.querySelector(".drag-handle");
      if (!handle) return;
      // Only the handle starts a drag, so text in the row can still be selected.
      handle.addEventListener("mousedown", function () { li.setAttribute("draggable", "true"); });
      handle.addEventListener("touchstart", function () { li.setAttribute("draggable", "true"); }, { passive: true });
      li.addEventListener("dragstart", function (event) {
        dragged = li;
        startOrder = order().join(",");
        li.classList.add("is-dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", li.getAttribute("data-step-id"));
      });
      li.addEventListener("dragend", function () {
        li.classList.remove("is-dragging");
        li.removeAttribute("draggable");
        if (dragged) {
          dragged = null;
          save();
        }
      });
    });

    list.addEventListener("dragover", function (event) {
      if (!dragged) return;
      event.preventDefault();
      var target = event.target.closest("[data-step-id]");
      if (!target || target === dragged) return;
      var box = target.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? target.nextSibling : target);
    });
    list.addEventListener("drop", function (event) { event.preventDefault(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-slug-from]"), setUpSlug);
    Array.prototype.forEach.call(document.querySelectorAll("ol[data-reorder-url]"), setUpReorder);
  });
})();
