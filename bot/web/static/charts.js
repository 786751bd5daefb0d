// Draws each [data-chart] element from its inert JSON spec with plotly.js (served locally),
// in the page theme's colours, and redraws the colours when the theme changes.
(function () {
  function colours() {
    var style = getComputedStyle(document.documentElement);
    function v(name) { return style.getPropertyValue(name).trim(); }
    return { text: v("--text"), grid: v("--grid"), bg: v("--card"), a: v("--accent"), b: v("--accent-2") };
  }
  function themed(layout, c) {
    var axis = { color: c.text, gridcolor: c.grid, zerolinecolor: c.grid, linecolor: c.grid };
    var out = Object.assign({}, layout, {
      paper_bgcolor: c.bg, plot_bgcolor: c.bg, font: { color: c.text },
      colorway: [c.a, c.b]
    });
    ["xaxis", "yaxis", "yaxis2"].forEach(function (name) {
      if (layout[name]) { out[name] = Object.assign({}, layout[name], axis); }
    });
    return out;
  }
  function draw() {
    if (!window.Plotly) { return; }
    var c = colours();
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var spec = JSON.parse(document.getElementById("figure-" + el.dataset.chart).textContent);
      spec.data.forEach(function (trace, i) {
        var colour = i === 0 ? c.a : c.b;
        if (trace.type === "bar") {
          trace.marker = Object.assign({ color: colour }, trace.marker);
          trace.insidetextfont = { color: c.bg };  // the page background contrasts with the accent
        }
        else { trace.line = { color: colour }; trace.marker = Object.assign({}, trace.marker, { color: colour }); }
      });
      Plotly.react(el, spec.data, themed(spec.layout, c), {
        displaylogo: false, responsive: true,
        modeBarButtonsToRemove: ["select2d", "lasso2d", "toImage"]
      }).then(function () { el.setAttribute("data-drawn", "true"); });
    });
  }
  document.addEventListener("lrquiz:theme", draw);
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); }
  else { draw(); }
})();
