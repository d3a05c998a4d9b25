/* The poll builder and results pages (no inline scripts: CSP).
   - The question form shows only the parts of its kind (options, scale).
   - Results: one bar chart per question (ECharts, served locally) from #poll-results-data,
     and a stacked bar chart of the answers by territory. */
(function () {
  "use strict";

  var ru = new Intl.NumberFormat("ru-RU", { maximumFractionDigits: 1 });

  function showParts(form) {
    var kind = form.querySelector("select[name=kind]");
    if (!kind) { return; }
    var k = kind.value;
    form.querySelectorAll(".q-choice").forEach(function (el) { el.hidden = !(k === "single" || k === "multiple"); });
    form.querySelectorAll(".q-multiple").forEach(function (el) { el.hidden = k !== "multiple"; });
    form.querySelectorAll(".q-scale").forEach(function (el) { el.hidden = k !== "scale"; });
  }

  function setupForms(root) {
    root.querySelectorAll(".question-form").forEach(function (form) {
      showParts(form);
      var kind = form.querySelector("select[name=kind]");
      if (kind && !kind.dataset.bound) {
        kind.dataset.bound = "1";
        kind.addEventListener("change", function () { showParts(form); });
      }
    });
  }

  function totalChart(el, q) {
    var chart = echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: function (v) { return ru.format(v); } },
      grid: { left: 10, right: 30, top: 10, bottom: 10, containLabel: true },
      xAxis: { type: "value", minInterval: 1, axisLabel: { formatter: function (v) { return ru.format(v); } } },
      yAxis: { type: "category", inverse: true, data: q.labels, axisLabel: { width: 160, overflow: "truncate" } },
      series: [{ type: "bar", barMaxWidth: 36, name: "Голосов", data: q.counts, label: { show: true, position: "right" }, itemStyle: { color: "#1f6fd0" } }],
    });
    return chart;
  }

  function territoryChart(el, q) {
    var chart = echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: function (v) { return ru.format(v); } },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 10, right: 20, top: 10, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: q.territories.map(function (t) { return t.name; }), axisLabel: { interval: 0, width: 110, overflow: "truncate" } },
      yAxis: { type: "value", minInterval: 1 },
      series: q.labels.map(function (label, i) {
        return { type: "bar", stack: "all", barMaxWidth: 70, name: label, data: q.territories.map(function (t) { return t.counts[i]; }) };
      }),
    });
    return chart;
  }

  var charts = [];

  function drawCharts() {
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
    var node = document.getElementById("poll-results-data");
    if (!node || typeof echarts === "undefined") { return; }
    var data = JSON.parse(node.textContent);
    document.querySelectorAll("[data-poll-chart]").forEach(function (el) {
      var q = data.questions[Number(el.dataset.pollChart)];
      if (!q || !q.labels.length) { return; }
      charts.push(el.dataset.part === "territories" ? territoryChart(el, q) : totalChart(el, q));
    });
  }

  function copyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (btn) {
      if (btn.dataset.bound) { return; }
      btn.dataset.bound = "1";
      btn.addEventListener("click", function () {
        var field = document.querySelector(btn.dataset.copy);
        if (!field) { return; }
        field.select();
        if (navigator.clipboard) { navigator.clipboard.writeText(field.value); } else { document.execCommand("copy"); }
        btn.textContent = "Скопировано";
      });
    });
  }

  function confirmForms() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      if (form.dataset.bound) { return; }
      form.dataset.bound = "1";
      form.addEventListener("submit", function (evt) { if (!window.confirm(form.dataset.confirm)) { evt.preventDefault(); } });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { setupForms(document); drawCharts(); copyButtons(); confirmForms(); });
  document.addEventListener("htmx:afterSettle", function () { setupForms(document); });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
