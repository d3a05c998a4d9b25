// Points of tension: the trend chart of a point (daily appeals against the usual level, the
// point's span shaded) and Russian confirmations of the decisions. Data come from json_script.
(function () {
  "use strict";

  function drawChart() {
    var box = document.getElementById("tension-chart");
    var source = document.getElementById("tension-series");
    if (!box || !source || typeof echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(box, null, { renderer: "svg" });
    var label = function (iso) { var p = iso.split("-"); return p[2] + "." + p[1]; };
    var lastDay = new Date(data.end + "T00:00:00");
    lastDay.setDate(lastDay.getDate() - 1);
    var endIso = lastDay.getFullYear() + "-" + String(lastDay.getMonth() + 1).padStart(2, "0") + "-" + String(lastDay.getDate()).padStart(2, "0");
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: ["Обращений за день", "Обычно"], bottom: 0 },
      grid: { left: 40, right: 16, top: 16, bottom: 48 },
      xAxis: { type: "category", data: data.days.map(label) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        {
          name: "Обращений за день", type: "bar", data: data.counts, itemStyle: { color: "#c0392b" },
          markArea: { silent: true, itemStyle: { color: "rgba(192,57,43,0.08)" }, data: [[{ xAxis: label(data.start) }, { xAxis: label(endIso) }]] }
        },
        { name: "Обычно", type: "line", data: data.expected, symbol: "none", lineStyle: { color: "#2c3e50", type: "dashed" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function confirmations() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawChart(); confirmations(); });
})();
