/* Progressive enhancements of the resident pages. Everything works without this file. */
(function () {
  "use strict";

  function plural(n, one, few, many) {
    var n10 = n % 10, n100 = n % 100;
    if (n10 === 1 && n100 !== 11) return one;
    if (n10 >= 2 && n10 <= 4 && (n100 < 10 || n100 >= 20)) return few;
    return many;
  }
  function fmt(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "\u00a0"); }

  /* Copy buttons: <button data-copy="#input-id">. */
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = document.querySelector(button.getAttribute("data-copy"));
      if (!target) return;
      var text = target.value || target.textContent;
      var label = button.getAttribute("data-label") || button.textContent;
      button.setAttribute("data-label", label);
      function done(ok) {
        button.textContent = ok ? "Скопировано ✓" : "Выделите и скопируйте вручную";
        setTimeout(function () { button.textContent = label; }, 2500);
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done(true); }, function () { fallback(); });
      } else {
        fallback();
      }
      function fallback() {
        target.focus();
        if (target.select) target.select();
        var ok = false;
        try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
        done(ok);
      }
    });
  });

  /* Live character counter of the appeal text; counts line breaks as the server does. */
  document.querySelectorAll("[data-counter-for]").forEach(function (counter) {
    var field = document.getElementById(counter.getAttribute("data-counter-for"));
    if (!field) return;
    var max = Number(field.getAttribute("data-max-chars")) || 0;
    var live = document.querySelector("[data-counter-live]");
    var lastState = "";
    function update() {
      var len = field.value.replace(/\r\n/g, "\n").trim().length;
      var left = max - len;
      var state = left < 0 ? "over" : (left < max * 0.1 ? "near" : "ok");
      counter.textContent = left < 0
        ? "Превышено на " + fmt(-left) + " " + plural(-left, "знак", "знака", "знаков") + " (не более " + fmt(max) + ")"
        : fmt(len) + " из " + fmt(max) + " " + plural(max, "знака", "знаков", "знаков");
      counter.classList.toggle("counter--near", state === "near");
      counter.classList.toggle("counter--over", state === "over");
      if (live && state !== lastState && state !== "ok") {
        live.textContent = state === "over" ? "Текст длиннее допустимого." : "Осталось " + fmt(left) + " " + plural(left, "знак", "знака", "знаков") + ".";
      }
      lastState = state;
    }
    field.addEventListener("input", update);
    update();
  });

  /* Selected photos: names, sizes and a warning before the server has to say it. */
  document.querySelectorAll("input[type=file][data-max-photos]").forEach(function (input) {
    var list = input.parentNode.querySelector("[data-photo-list]");
    var max = Number(input.getAttribute("data-max-photos"));
    var maxMb = Number(input.getAttribute("data-max-mb"));
    input.addEventListener("change", function () {
      if (!list) return;
      list.innerHTML = "";
      var files = Array.prototype.slice.call(input.files || []);
      files.forEach(function (f) {
        var li = document.createElement("li");
        var mb = f.size / (1024 * 1024);
        li.textContent = f.name + " — " + (mb < 0.1 ? "меньше 0,1" : mb.toFixed(1).replace(".", ",")) + " МБ";
        if (maxMb && mb > maxMb) { li.className = "is-bad"; li.textContent += " — слишком большой файл"; }
        list.appendChild(li);
      });
      if (max && files.length > max) {
        var warn = document.createElement("li");
        warn.className = "is-bad";
        warn.textContent = "Выбрано " + files.length + " " + plural(files.length, "файл", "файла", "файлов") + ", можно не более " + max + ".";
        list.appendChild(warn);
      }
    });
  });

  /* One submission per click: the button says what is happening. */
  document.querySelectorAll("form[data-appeal-form]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("[data-submit]");
      if (button) {
        button.disabled = true;
        button.textContent = "Отправляем…";
        setTimeout(function () { button.disabled = false; button.textContent = "Отправить обращение"; }, 15000);
      }
    });
  });

  /* After a failed submission, take the reader to the list of problems. */
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  /* Embedded in an official site: report our height to the host page (widget.js listens). */
  if (document.body.classList.contains("is-embed") && window.parent !== window) {
    var last = 0;
    var first = true;
    function report() {
      var h = Math.ceil(document.documentElement.getBoundingClientRect().height);
      if (h === last && !first) return;
      last = h;
      var scrollTop = first && (!!summary || !!document.querySelector("[data-tracking-number]"));
      first = false;
      window.parent.postMessage({ type: "tsur-widget:height", height: h, scrollTop: scrollTop }, "*");
    }
    if (window.ResizeObserver) new ResizeObserver(report).observe(document.body);
    window.addEventListener("load", report);
    window.addEventListener("resize", report);
    document.addEventListener("toggle", report, true);
    report();
  }
})();
