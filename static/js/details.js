// Folded notes, on the form's live result and on the stored summary. Without this script every
// card and note is a plain <details> that opens on a click, and the overview's links still reach
// (and the browser opens) the card. With it: "Expand all" / "Collapse all", and a link from the
// overview opens its card before the page scrolls to it.
(function () {
  "use strict";

  function result() { return document.getElementById("result"); }

  function allDetails() {
    var root = result();
    return root ? Array.prototype.slice.call(root.querySelectorAll("details.drug-card, details.note, details.result-context")) : [];
  }

  function setAll(open) {
    allDetails().forEach(function (details) { details.open = open; });
  }

  function wire() {
    var expand = document.getElementById("expand-all");
    var collapse = document.getElementById("collapse-all");
    if (expand && !expand.dataset.wired) {
      expand.hidden = false;
      collapse.hidden = false;
      expand.dataset.wired = "1";
      expand.addEventListener("click", function () { setAll(true); });
      collapse.addEventListener("click", function () { setAll(false); });
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.card-link");
    if (!link) return;
    var card = document.getElementById(link.dataset.card);
    if (card) card.open = true;
  });

  // The live result is replaced on every update: wire its new buttons.
  document.body.addEventListener("htmx:afterSwap", wire);
  wire();
})();
