// Reading form: show the bill's first day only for bills, and the replacement fields
// only for a replacement. The server checks everything again.
(function () {
  "use strict";
  var form = document.querySelector("form.reading-form");
  if (!form) { return; }
  function box(name) {
    var el = form.querySelector("[name=" + name + "]");
    return el ? el.closest(".field") : null;
  }
  var bill = [box("period_start")];
  var repl = [box("old_final"), box("new_serial")];
  function sync() {
    var checked = form.querySelector("input[name=kind]:checked");
    var kind = checked ? checked.value : "index";
    bill.forEach(function (b) { if (b) { b.hidden = kind !== "bill" && !b.classList.contains("has-error"); } });
    repl.forEach(function (b) { if (b) { b.hidden = kind !== "replacement" && !b.classList.contains("has-error"); } });
  }
  form.querySelectorAll("input[name=kind]").forEach(function (r) { r.addEventListener("change", sync); });
  sync();
})();
