/* Charts of the center's dashboard (ECharts). Data comes from the page's json_script block
   (#dashboard-data); a click on a point opens the drill-down list of that period and value.
   Re-drawn after every HTMX swap of #center-main (the filters change the page in place). */
(function () {
  "use strict";

  // Numbers the Russian way (6 000, 4,7), not ECharts' English default (6,000).
  var ru = new Intl.NumberFormat("ru-RU", { maximumFractionDigits: 1 });
  function number(v) { return v == null ? "—" : ru.format(v); }

  function drillUrl(data, extra) {
    var params = new URLSearchParams(data.query);
    Object.keys(extra).forEach(function (k) {
      if (extra[k]) { params.set(k, extra[k]); } else { params.delete(k); }
    });
    return data.drill + "?" + params.toString();
  }

  function volumeChart(el, data, s) {
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis", valueFormatter: number },
      legend: { type: "scroll", bottom: 0, textStyle: { fontSize: 11 } },
      grid: { left: 40, right: 10, top: 10, bottom: 40 },
      xAxis: { type: "category", data: s.starts.map(function (d) { return d.split("-").reverse().slice(0, 2).join("."); }) },
      yAxis: { type: "value", minInterval: 1, axisLabel: { formatter: number } },
      series: s.series.map(function (x) {
        return { name: x.name, type: "line", stack: "total", areaStyle: {}, symbol: "none", data: x.data, code: x.code };
      }),
    });
    chart.on("click", function (p) {
      var one = s.series[p.seriesIndex];
      var extra = { from: s.starts[p.dataIndex], to: s.ends[p.dataIndex], only: "received" };
      if (one.code) { extra[s.by] = one.code; if (s.by === "category") { extra.block = ""; } }
      window.location.href = drillUrl(data, extra);
    });
    return chart;
  }

  function timesChart(el, data) {
    var t = data.times;
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : number(v) + " ч"; } },
      legend: { bottom: 0 },
      grid: { left: 60, right: 10, top: 10, bottom: 40 },
      xAxis: { type: "category", data: t.labels },
      yAxis: { type: "log", name: "часы", logBase: 10, axisLabel: { formatter: number } },
      series: [
        { name: "Медиана", type: "bar", data: t.median, markLine: t.target[0] ? { data: [{ yAxis: t.target[0], name: "ориентир" }], symbol: "none" } : undefined },
        { name: "p90", type: "bar", data: t.p90 },
        { name: "Медиана, прошлый период", type: "bar", data: t.median_before, itemStyle: { opacity: 0.45 } },
        { name: "p90, прошлый период", type: "bar", data: t.p90_before, itemStyle: { opacity: 0.45 } },
      ],
    });
    chart.on("click", function (p) {
      window.location.href = drillUrl(data, { only: p.dataIndex === 0 ? "routed" : "answered" });
    });
    return chart;
  }

  var charts = [];

  function draw() {
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
    var node = document.getElementById("dashboard-data");
    if (!node || typeof echarts === "undefined") { return; }
    var data = JSON.parse(node.textContent);
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.chart === "volume") {
        charts.push(volumeChart(el, data, data.volumes[Number(el.dataset.index)]));
      } else if (el.dataset.chart === "times") {
        charts.push(timesChart(el, data));
      }
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
  // A refused filter (400) replaces the page's content with its Russian explanation.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    if (evt.detail.xhr && evt.detail.xhr.status === 400) { evt.detail.shouldSwap = true; evt.detail.isError = false; }
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
