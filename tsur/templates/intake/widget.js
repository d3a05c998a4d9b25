/* Resident appeal widget of the regional management center (ЦУР).
   Usage on an official site, one line where the form should appear:
     <script src="{{ origin }}/widget.js" data-category="optional-category-code" async></script>
   Inserts an iframe with the form and keeps its height equal to the form's height. */
(function () {
  "use strict";
  var FALLBACK_ORIGIN = "{{ origin|escapejs }}";
  var MESSAGE = "tsur-widget:height";

  function originOf(src) {
    try { return new URL(src, document.baseURI).origin; } catch (e) { return FALLBACK_ORIGIN; }
  }

  function mount(script) {
    if (!script || script.getAttribute("data-tsur-mounted")) return;
    script.setAttribute("data-tsur-mounted", "1");
    var origin = originOf(script.src || FALLBACK_ORIGIN);
    var params = ["embed=1"];
    ["category", "territory"].forEach(function (name) {
      var value = script.getAttribute("data-" + name);
      if (value) params.push(name + "=" + encodeURIComponent(value));
    });
    var frame = document.createElement("iframe");
    frame.src = origin + "/widget/?" + params.join("&");
    frame.title = script.getAttribute("data-title") || "Сообщить о проблеме";
    frame.setAttribute("loading", "lazy");
    frame.className = "tsur-widget-frame";
    frame.style.cssText = "display:block;width:100%;max-width:760px;height:1200px;border:0;overflow:hidden;background:transparent";
    frame.setAttribute("scrolling", "no");
    script.parentNode.insertBefore(frame, script.nextSibling);

    window.addEventListener("message", function (event) {
      if (event.origin !== origin || event.source !== frame.contentWindow) return;
      var data = event.data;
      if (!data || data.type !== MESSAGE) return;
      var height = Math.ceil(Number(data.height));
      if (height > 0 && height < 20000) frame.style.height = height + "px";
      if (data.scrollTop) {
        var top = frame.getBoundingClientRect().top;
        if (top < 0) window.scrollBy(0, top - 16);
      }
    });
  }

  var current = document.currentScript;
  if (current) {
    mount(current);
  } else {
    var all = document.querySelectorAll('script[src*="/widget.js"]');
    for (var i = 0; i < all.length; i++) mount(all[i]);
  }
})();
