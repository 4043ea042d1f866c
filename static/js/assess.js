// The clinician form's small helpers. Everything works without them: the checkboxes are all
// listed, grouped by class, and "Show notes" submits the form. With JavaScript on they add:
// a filter box over the medicine list, a row of the ticked medicines (each a button that unticks
// it), and a warning when the live notes could not be updated.
(function () {
  "use strict";

  var form = document.getElementById("assess-form");
  if (!form) return;
  var filterBox = document.getElementById("analgesics-filter-box");
  var filter = document.getElementById("analgesics-filter");
  var status = document.getElementById("analgesics-filter-status");
  var groups = Array.prototype.slice.call(document.querySelectorAll("#analgesics-groups .med-group"));
  var selected = document.getElementById("analgesics-selected");
  var selectedList = selected && selected.querySelector("ul");
  var stale = document.getElementById("result-stale");

  function options() {
    return Array.prototype.slice.call(document.querySelectorAll("#analgesics-groups .med-option"));
  }

  function visibleBoxes() {
    return options()
      .filter(function (option) { return !option.hidden && !option.parentElement.hidden; })
      .map(function (option) { return option.querySelector("input"); });
  }

  // Matching is by the start of a word: "opio" finds the opioids, not bupropion; "top" finds
  // "Lidocaine (topical)".
  function words(text) {
    return " " + text.toLowerCase().replace(/[^a-z0-9]+/g, " ").trim() + " ";
  }

  function matches(text, term) {
    return words(text).indexOf(" " + term) !== -1;
  }

  function applyFilter() {
    var term = words(filter.value).trim();
    var shown = 0;
    groups.forEach(function (group) {
      // A class name matches all its drugs: "opioid" lists every opioid.
      var groupMatches = term !== "" && matches(group.dataset.group, term);
      var any = false;
      group.querySelectorAll(".med-option").forEach(function (option) {
        var match = term === "" || groupMatches || matches(option.dataset.name, term);
        option.hidden = !match;
        if (match) { any = true; shown += 1; }
      });
      group.hidden = !any;
    });
    if (term === "") {
      status.textContent = "";
    } else if (shown === 0) {
      status.textContent = "No medicine matches “" + filter.value.trim() + "”.";
    } else {
      status.textContent = shown + (shown === 1 ? " medicine matches." : " medicines match.");
    }
  }

  // The medicine's name, as its checkbox's label shows it.
  function labelOf(box) {
    return document.querySelector('label[for="' + box.id + '"]').textContent.trim();
  }

  function toggle(box) {
    box.checked = !box.checked;
    // The form listens for "change" (htmx); a script-made change must say so itself.
    box.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function renderSelected() {
    if (!selectedList) return;
    var ticked = options()
      .map(function (option) { return option.querySelector("input"); })
      .filter(function (box) { return box.checked; });
    selectedList.textContent = "";
    ticked.forEach(function (box) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      var label = labelOf(box);
      button.type = "button";
      button.className = "btn btn-sm btn-outline-secondary";
      button.textContent = label + " ×";
      button.setAttribute("aria-label", "Untick " + label);
      button.addEventListener("click", function () {
        toggle(box);
        if (filter) filter.focus();
      });
      item.appendChild(button);
      selectedList.appendChild(item);
    });
    selected.hidden = ticked.length === 0;
  }

  if (filter) {
    filterBox.hidden = false;
    // The filter box is not an input of the assessment: keep its events away from htmx.
    ["input", "change"].forEach(function (type) {
      filter.addEventListener(type, function (event) {
        event.stopPropagation();
        if (type === "input") applyFilter();
      });
    });
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();  // never submit the whole form from the filter box
        var boxes = visibleBoxes();
        if (filter.value.trim() !== "" && boxes.length === 1) {
          toggle(boxes[0]);
          filter.value = "";
          applyFilter();
          status.textContent = (boxes[0].checked ? "Ticked " : "Unticked ") + labelOf(boxes[0]) + ".";
        } else if (boxes.length > 0) {
          boxes[0].focus();
        }
      } else if (event.key === "Escape" && filter.value !== "") {
        event.preventDefault();
        filter.value = "";
        applyFilter();
      } else if (event.key === "ArrowDown") {
        var first = visibleBoxes()[0];
        if (first) { event.preventDefault(); first.focus(); }
      }
    });
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "analgesics") renderSelected();
  });
  renderSelected();

  // If a live update fails, the notes on screen no longer match the form: say so plainly.
  function markStale() {
    var result = document.getElementById("result");
    if (result) result.classList.add("is-stale");
    if (stale) stale.hidden = false;
  }
  document.body.addEventListener("htmx:responseError", markStale);
  document.body.addEventListener("htmx:sendError", markStale);

  // --- A live update keeps the reader's place -------------------------------------------
  // Before the result is replaced: which cards and notes are open, and which element is at the
  // top of the screen and where. After: the same ones open, and that element back where it was.
  var before = null;

  // The innermost element that spans the top of the screen (the one being read), else the
  // first one just below it.
  function readingAnchor(root) {
    var spanning = null;
    var below = null;
    root.querySelectorAll("[id]").forEach(function (element) {
      var box = element.getBoundingClientRect();
      if (box.height === 0 || box.bottom <= 0) return;
      if (box.top <= 0) {
        if (!spanning || box.top >= spanning.top) spanning = { id: element.id, top: box.top };
      } else if (!below || box.top < below.top) {
        below = { id: element.id, top: box.top };
      }
    });
    return spanning || below;
  }

  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var old = document.getElementById("result");
    if (!old || event.detail.target !== old) return;
    var open = {};
    var known = {};
    old.querySelectorAll("details[id]").forEach(function (details) {
      known[details.id] = true;
      if (details.open) open[details.id] = true;
    });
    var resultBox = old.getBoundingClientRect();
    // Only a reader inside the notes has a place to keep; above them the page grows below.
    before = { open: open, known: known, anchor: resultBox.top < 0 ? readingAnchor(old) : null };
  });

  document.body.addEventListener("htmx:afterSwap", function () {
    if (stale) stale.hidden = true;
    var fresh = document.getElementById("result");
    if (!fresh || !before) return;
    fresh.querySelectorAll("details[id]").forEach(function (details) {
      if (before.known[details.id]) details.open = !!before.open[details.id];
    });
    keepPlace();
    // Once htmx has settled (and other scripts have finished with the new result), once more;
    // then the place is forgotten until the next update.
    fresh.addEventListener("htmx:afterSettle", function () {
      keepPlace();
      before = null;
    }, { once: true });
    offerJump();
  });

  function keepPlace() {
    var anchor = before && before.anchor;
    var same = anchor && document.getElementById(anchor.id);
    // "instant": Bootstrap makes scrolling smooth, and a glide would itself move the text.
    if (same) window.scrollBy({ top: same.getBoundingClientRect().top - anchor.top, behavior: "instant" });
  }

  // --- On a narrow screen the notes are below the form: say they changed, offer a jump --------
  var jump = document.getElementById("result-jump");
  var region = document.getElementById("results-region");
  function offerJump() {
    if (!jump || !region) return;
    var top = region.getBoundingClientRect().top;
    var announcer = document.getElementById("result-announcer");
    document.getElementById("result-jump-text").textContent =
      (announcer && announcer.textContent.trim()) || "The notes have changed.";
    jump.hidden = top < window.innerHeight * 0.6;
  }
  if (jump) {
    jump.querySelector("a").addEventListener("click", function () { jump.hidden = true; });
    window.addEventListener("scroll", function () {
      if (!jump.hidden && region.getBoundingClientRect().top < window.innerHeight * 0.6) jump.hidden = true;
    }, { passive: true });
  }

  // --- Save exactly what is on screen -------------------------------------------------------
  // The save form's hidden inputs are the question the visible notes answer. If the form has
  // changed since (an update is pending, in flight or failed), saving would store notes the
  // clinician has not seen: refuse, say why, and let the update finish.
  function question(fields) {
    return ["pain_type", "analgesics", "factors"].map(function (name) {
      return name + "=" + fields.getAll(name).slice().sort().join(",");
    }).join("&");
  }

  document.addEventListener("submit", function (event) {
    var save = event.target;
    if (save.id !== "save-form") return;
    var status = document.getElementById("save-status");
    var result = document.getElementById("result");
    var pending = form.classList.contains("htmx-request") || (result && result.classList.contains("is-stale"));
    var matches = question(new FormData(form)) === question(new FormData(save));
    if (matches && !pending) return;
    event.preventDefault();
    if (status) {
      status.hidden = false;
      status.textContent = result && result.classList.contains("is-stale")
        ? "Not saved: the notes below could not be updated to match the form. Use “Show notes”, then save again."
        : "Not saved yet: the notes are being updated to match the form. Save again once they have updated.";
    }
    if (!pending) htmx.trigger(form, "change");
  }, true);
})();
