// Log form: offer only the units that fit the chosen category, and show the waste
// fraction only for waste. The server checks both again.
(function () {
  "use strict";
  var form = document.querySelector("form.log-form");
  if (!form) { return; }
  var units = JSON.parse(form.getAttribute("data-units"));
  var category = form.querySelector("#category");
  var unit = form.querySelector("#unit");
  var fraction = form.querySelector(".fraction-field");
  function sync() {
    var allowed = units[category.value] || [];
    Array.prototype.forEach.call(unit.options, function (opt) {
      var ok = allowed.indexOf(opt.value) !== -1;
      opt.hidden = !ok;
      opt.disabled = !ok;
    });
    if (allowed.indexOf(unit.value) === -1 && allowed.length) { unit.value = allowed[0]; }
    if (fraction) { fraction.hidden = category.value !== "waste"; }
  }
  category.addEventListener("change", sync);
  sync();
})();
