// The operator's view's charts, drawn with Apache ECharts (served from the portal's own static files) from
// the figures the page carries in a JSON script element. Each chart repeats the table beside it, which stays
// the accessible version: the chart is hidden from assistive technology, and without JavaScript (or without
// ECharts) the tables are the page.
(function () {
  "use strict";
  var source = document.getElementById("oversight-charts");
  if (!source || typeof window.echarts === "undefined") {
    return;
  }
  var charts = JSON.parse(source.textContent);
  var style = window.getComputedStyle(document.body);
  var fontSize = Math.round(parseFloat(style.fontSize) * 0.8) || 12;
  var textColor = style.color;
  var drawn = [];

  function optionFor(spec) {
    var unit = spec.unit || "";
    var formatter = function (value) { return value === null || value === undefined ? "–" : value + unit; };
    var series = spec.series.map(function (one) {
      return {
        name: one.name,
        type: spec.kind,
        data: one.data,
        connectNulls: false,
        label: spec.kind === "bar" ? { show: true, position: "right", fontSize: fontSize, formatter: function (p) { return formatter(p.value); } } : undefined,
      };
    });
    var valueAxis = { type: "value", axisLabel: { fontSize: fontSize, color: textColor, formatter: unit ? "{value}" + unit : "{value}" } };
    if (unit === "%") { valueAxis.min = 0; valueAxis.max = 100; }
    var categoryAxis = { type: "category", data: spec.categories, axisLabel: { fontSize: fontSize, color: textColor, width: 160, overflow: "truncate" } };
    var horizontal = spec.kind === "bar";
    if (horizontal) { categoryAxis.inverse = true; }
    return {
      animation: false,
      textStyle: { fontSize: fontSize, color: textColor },
      tooltip: { trigger: "axis", valueFormatter: formatter },
      legend: spec.series.length > 1 ? { top: 0, textStyle: { fontSize: fontSize, color: textColor } } : undefined,
      grid: { left: 8, right: 48, top: spec.series.length > 1 ? 48 : 16, bottom: 8, containLabel: true },
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? categoryAxis : valueAxis,
      series: series,
    };
  }

  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var spec = charts[element.getAttribute("data-chart")];
    var hasData = spec && spec.series.some(function (one) {
      return one.data.some(function (value) { return value !== null && value !== undefined; });
    });
    if (!spec || !spec.categories.length || !hasData) {
      return;  // nothing to draw: the table says so
    }
    element.hidden = false;
    if (spec.kind === "bar") {
      // room for every bar: a row of text per category and series
      element.style.height = Math.max(12, spec.categories.length * (1.4 + 0.9 * spec.series.length) + 4) + "em";
    }
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    chart.setOption(optionFor(spec));
    drawn.push(chart);
  });
  window.addEventListener("resize", function () {
    drawn.forEach(function (chart) { chart.resize(); });
  });
})();
