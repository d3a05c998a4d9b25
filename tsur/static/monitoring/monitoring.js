// A monitoring source's page: what it sent and what was refused, per hour over the last day
// (ECharts from node_modules, data from json_script).
(function () {
  "use strict";
  function draw() {
    var box = document.getElementById("source-chart");
    var source = document.getElementById("source-series");
    if (!box || !source || typeof echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(box, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: ["Получено", "Отклонено"], bottom: 0 },
      grid: { left: 44, right: 16, top: 16, bottom: 48 },
      xAxis: { type: "category", data: data.hours },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "Получено", type: "bar", stack: "all", data: data.received, itemStyle: { color: "#2f6f9f" } },
        { name: "Отклонено", type: "bar", stack: "all", data: data.rejected, itemStyle: { color: "#c0392b" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
