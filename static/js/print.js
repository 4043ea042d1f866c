// The stored summary: a Print button, shown only when this script runs (without JavaScript the
// browser's own Print command does the same, with the same print stylesheet).
(function () {
  "use strict";
  var button = document.getElementById("print-button");
  if (!button) return;
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();
