// The printable list's Print button (no inline script: the CSP forbids it).
document.querySelectorAll("[data-print]").forEach(function (b) {
  b.addEventListener("click", function () { window.print(); });
});
