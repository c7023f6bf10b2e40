// Render every server-built plotly figure on the page. Figures arrive as JSON data blocks
// (Django's json_script), so the page needs no inline script.
(function () {
  "use strict";
  function render() {
    document.querySelectorAll(".plotly-chart[data-figure]").forEach(function (el) {
      var data = document.getElementById(el.dataset.figure);
      if (!data || !window.Plotly) { return; }
      var figure = JSON.parse(data.textContent);
      window.Plotly.newPlot(el, figure.data, figure.layout, {responsive: true, displaylogo: false});
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
