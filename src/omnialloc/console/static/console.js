// omnialloc console: live validation of a rule's condition (no framework, no build step).
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn); }

  ready(function () {
    var form = document.getElementById("rule-form");
    if (!form) return;
    var url = form.getAttribute("data-validate-url");
    var token = form.querySelector("input[name=csrf_token]").value;
    var condition = form.querySelector("#condition");
    var actions = form.querySelector("#actions");
    var kind = form.querySelector("#kind");
    var status = document.getElementById("condition-status");
    var marker = document.getElementById("condition-marker");
    var timer = null, seq = 0;

    function text(tag, cls, content) {
      var el = document.createElement(tag);
      if (cls) el.className = cls;
      el.textContent = content;
      return el;
    }

    function show(result) {
      status.textContent = "";
      marker.textContent = "";
      condition.removeAttribute("aria-invalid");
      actions.removeAttribute("aria-invalid");
      if (result.valid) {
        status.appendChild(text("p", "ok", "✓ The rule compiles."));
        return;
      }
      (result.problems || []).forEach(function (p) {
        var where = p.line ? " line " + p.line + ", column " + p.column : "";
        var msg = p.field + where + ": " + p.message;
        if (p.suggestion) msg += " — did you mean " + p.suggestion + "?";
        if (p.hint) msg += " (" + p.hint + ")";
        status.appendChild(text("p", "problem", msg));
        if (p.field === "condition") {
          condition.setAttribute("aria-invalid", "true");
          if (p.offset !== null && p.offset !== undefined) {
            var src = condition.value;
            var start = src.lastIndexOf("\n", p.offset - 1) + 1;
            var end = src.indexOf("\n", p.offset);
            var line = src.slice(start, end < 0 ? src.length : end);
            marker.textContent = line + "\n" + " ".repeat(Math.max(0, p.offset - start)) + "^";
          }
        } else if (p.field.indexOf("actions") === 0) {
          actions.setAttribute("aria-invalid", "true");
        }
      });
    }

    function validate() {
      var mine = ++seq;
      fetch(url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": token },
        body: JSON.stringify({ name: form.querySelector("#name").value || "unsaved", kind: kind.value,
                               condition: condition.value, actions: actions.value })
      }).then(function (r) { return r.json(); }).then(function (result) {
        if (mine === seq) show(result);
      }).catch(function () {
        if (mine === seq) { status.textContent = ""; status.appendChild(text("p", "problem", "Could not check the rule (are you still logged in?)")); }
      });
    }

    function later() { clearTimeout(timer); timer = setTimeout(validate, 300); }
    [condition, actions].forEach(function (el) { el.addEventListener("input", later); });
    kind.addEventListener("change", later);
    if (condition.value) validate();
  });
})();
