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
  // A note reached through the address shows once: the list's "Saved: ..." after a save
  // names the entry in ?saved=<id> (no cookie is rewritten for it), and the parameter is
  // taken out of the address at once, so a reload, a bookmark or a shared link of the
  // list does not say "Saved" again.
  document.querySelectorAll("[data-once-param]").forEach(function (note) {
    var url = new URL(window.location.href);
    if (url.searchParams.has(note.dataset.onceParam)) {
      url.searchParams.delete(note.dataset.onceParam);
      window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
    }
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
  wraps.forEach(function (wrap) {
    edges(wrap);
    wrap.addEventListener("scroll", function () { edges(wrap); }, { passive: true });
  });
  window.addEventListener("resize", function () { wraps.forEach(edges); });
})();
