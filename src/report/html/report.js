// dbperf HTML report: selecting a plan node (in the icicle, the tree or a
// finding that cites it) shows its details. Everything the page shows is
// already in the HTML; this only switches what is visible.
(function () {
  "use strict";
  function select(id) {
    var all = document.querySelectorAll("[data-node]");
    for (var i = 0; i < all.length; i++) {
      var el = all[i];
      el.classList.toggle("selected", el.getAttribute("data-node") === id);
    }
    var panels = document.querySelectorAll(".node-detail");
    for (var j = 0; j < panels.length; j++) {
      panels[j].hidden = panels[j].id !== "node-" + id;
    }
  }
  document.addEventListener("click", function (e) {
    var el = e.target.closest ? e.target.closest("[data-node]") : null;
    if (el) select(el.getAttribute("data-node"));
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" && e.key !== " ") return;
    var el = document.activeElement;
    if (el && el.hasAttribute && el.hasAttribute("data-node")) {
      e.preventDefault();
      select(el.getAttribute("data-node"));
    }
  });
  var first = document.querySelector(".node-detail:not([hidden])");
  if (first) select(first.id.slice(5));
  document.body.setAttribute("data-ready", String(document.querySelectorAll("[data-node]").length));
})();
