// Small progressive enhancements shared by every page; the app works without them.
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  // A table wider than the screen scrolls sideways inside its .table-wrap. Mark the
  // edges beyond which more of it lies (more-left, more-right): app.css fades them, so
  // a phone user sees that the table goes on. Checked again on scroll and on resize.
  function edges(wrap) {
    var hidden = wrap.scrollWidth - wrap.clientWidth;
    wrap.classList.toggle("more-left", hidden > 1 && wrap.scrollLeft > 1);
    wrap.classList.toggle("more-right", hidden > 1 && wrap.scrollLeft < hidden - 1);
  }
  var wraps = document.querySelectorAll(".table-wrap");
  var resized = "ResizeObserver" in window ? new ResizeObserver(function (entries) {
    entries.forEach(function (entry) { edges(entry.target); });
  }) : null;
  wraps.forEach(function (wrap) {
    edges(wrap);
    wrap.addEventListener("scroll", function () { edges(wrap); }, { passive: true });
    if (resized) { resized.observe(wrap); }
  });
  if (!resized) {
    window.addEventListener("resize", function () { wraps.forEach(edges); });
  }
})();
