{% block usage %}{% endblock %}
(function () {
  "use strict";
  var FALLBACK_ORIGIN = "{{ origin|escapejs }}";
  var MESSAGE = "tsur-widget:height";

  function originOf(src) {
    try { return new URL(src, document.baseURI).origin; } catch (e) { return FALLBACK_ORIGIN; }
  }

  // The framed page's address for one <script> tag (its data-* attributes choose what it shows).
  function frameSource(script, origin) {
{% block frame_source %}{% endblock %}
  }

  function mount(script) {
    if (!script || script.getAttribute("data-tsur-mounted")) return;
    script.setAttribute("data-tsur-mounted", "1");
    var origin = originOf(script.src || FALLBACK_ORIGIN);
    var frame = document.createElement("iframe");
    frame.src = frameSource(script, origin);
    frame.title = script.getAttribute("data-title") || "{% block title %}{% endblock %}";
    frame.setAttribute("loading", "lazy");
    frame.className = "{% block frame_class %}{% endblock %}";
    frame.style.cssText = "display:block;width:100%;max-width:760px;height:{% block height %}{% endblock %}px;border:0;overflow:hidden;background:transparent";
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
    var all = document.querySelectorAll('script[src*="/{% block script_name %}{% endblock %}"]');
    for (var i = 0; i < all.length; i++) mount(all[i]);
  }
})();
