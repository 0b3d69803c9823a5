// The desk page's keyboard shortcuts and top-3 buttons. The page works without it: every action is
// a plain form. j / k: next / previous complaint, a: accept its suggestions, e: to its topic field.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("article.row"));
  var current = -1;

  function select(index, focus) {
    if (!rows.length) { return; }
    index = Math.max(0, Math.min(rows.length - 1, index));
    if (current >= 0) { rows[current].classList.remove("current"); }
    current = index;
    rows[current].classList.add("current");
    if (focus) {
      rows[current].focus();
      rows[current].scrollIntoView({block: "nearest"});
    }
  }

  // A top-3 button puts its label into the field it belongs to.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.pick");
    if (!button) { return; }
    var control = document.getElementById(button.dataset.target);
    if (control) { control.value = button.dataset.value; control.focus(); }
  });

  // Clicking or tabbing into a complaint makes it the current one.
  rows.forEach(function (row, index) {
    row.addEventListener("focusin", function () { if (current !== index) { select(index, false); } });
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    if (target.closest("input, select, textarea, [contenteditable]")) { return; }
    if (event.key === "j") { select(current + 1, true); }
    else if (event.key === "k") { select(current - 1, true); }
    else if (event.key === "a" && rows.length) {
      if (current < 0) { select(0, false); }
      rows[current].querySelector("button.accept").click();
    } else if (event.key === "e" && rows.length) {
      if (current < 0) { select(0, false); }
      var first = rows[current].querySelector(".field select, .field input");
      if (first) { first.focus(); }
    } else { return; }
    event.preventDefault();
  });

  // After a review the page comes back at the next complaint (#p-<id>), else at the first one.
  var start = location.hash ? rows.findIndex(function (row) { return "#" + row.id === location.hash; }) : -1;
  select(start >= 0 ? start : 0, start >= 0);
})();
