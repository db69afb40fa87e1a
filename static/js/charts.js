// Draws every server-built Plotly figure on the page; data comes from
// <script type="application/json"> blocks (no inline JS, CSP friendly).
(function () {
  "use strict";
  if (typeof window.Plotly === "undefined") { return; }
  var config = { responsive: true, displaylogo: false,
                 modeBarButtonsToRemove: ["lasso2d", "select2d", "toImage"] };
  document.querySelectorAll("[data-figure-id]").forEach(function (el) {
    var source = document.getElementById(el.getAttribute("data-figure-id"));
    if (!source) { return; }
    var fig = JSON.parse(source.textContent);
    if (window.innerWidth < 600 && fig.layout) {
      fig.layout.margin = { l: 44, r: 6, t: 8, b: 36 };
      fig.layout.legend = Object.assign({}, fig.layout.legend, { font: { size: 10 } });
    }
    window.Plotly.newPlot(el, fig.data, fig.layout, config);
  });
})();
