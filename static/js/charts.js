// Draws the server-built Plotly figures, each only when it nears the viewport.
// Figures come from <script type="application/json"> blocks (no inline JS, CSP friendly);
// the chart box's height is reserved by the page (chart-h* classes), so nothing jumps.
// plotly.js itself (data-plotly on this script tag) is fetched when the first chart
// is about to be seen: a phone that never scrolls to a chart runs no chart code.
(function () {
  "use strict";
  var script = document.currentScript;
  var plotlySrc = script && script.getAttribute("data-plotly");
  var charts = document.querySelectorAll("[data-figure-id]");
  if (!charts.length || !plotlySrc) { return; }
  // Nothing leaves the page: no "Share chart" button (it would hand the figure to Plotly's
  // cloud), no server to send it to, no plotly.com logo link. The toolbar is a fixed
  // small set that suits bar and line charts (no select/lasso, hover or spike toggles).
  var config = { responsive: true, displaylogo: false, showSendToCloud: false,
                 plotlyServerURL: "",
                 modeBarButtons: [["zoom2d", "pan2d", "zoomIn2d", "zoomOut2d", "resetScale2d"]] };
  // Their tooltips, hints and number separators in the page's language: a JSON block the
  // server translated (templates/dashboards/_chart.html, services/charts.plotly_locale).
  var localeSource = document.getElementById("chart-locale");
  if (localeSource) {
    var loc = JSON.parse(localeSource.textContent);
    config.locale = loc.locale;
    config.locales = {};
    config.locales[loc.locale] = { dictionary: loc.dictionary, format: loc.format };
  }
  var waiting = [];
  var loading = false;

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-figure-id"));
    if (!source) { return; }
    var fig = JSON.parse(source.textContent);
    // the box's reserved height (dashboards.css), so drawing moves nothing
    if (fig.layout && el.clientHeight) { fig.layout.height = el.clientHeight; }
    if (window.innerWidth < 600 && fig.layout) {
      fig.layout.margin = { l: 44, r: 6, t: 8, b: 36 };
      fig.layout.legend = Object.assign({}, fig.layout.legend, { font: { size: 10 } });
    }
    window.Plotly.newPlot(el, fig.data, fig.layout, config);
  }

  // One chart per task: the page stays responsive while several charts come into view.
  var draining = false;
  function drain() {
    var el = waiting.shift();
    if (!el) { draining = false; return; }
    draw(el);
    setTimeout(drain, 0);
  }

  function need(el) {
    waiting.push(el);
    if (window.Plotly) {
      if (!draining) { draining = true; setTimeout(drain, 0); }
      return;
    }
    if (loading) { return; }
    loading = true;
    var tag = document.createElement("script");
    tag.src = plotlySrc;
    tag.onload = function () { draining = true; drain(); };
    document.head.appendChild(tag);
  }

  if (!("IntersectionObserver" in window)) {
    Array.prototype.forEach.call(charts, need);
    return;
  }
  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (!entry.isIntersecting) { return; }
      observer.unobserve(entry.target);
      need(entry.target);
    });
  }, { rootMargin: "200px 0px" });
  Array.prototype.forEach.call(charts, function (el) { observer.observe(el); });
})();
