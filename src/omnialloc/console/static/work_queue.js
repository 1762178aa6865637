// Work queue: "select all on this page" for the bulk actions (no framework, no build step).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var all = document.getElementById("select-all");
    if (!all) return;
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name=ids][form=bulk]").forEach(function (box) { box.checked = all.checked; });
    });
  });
})();
