/* Polls of the regional management center (ЦУР) on an official site, one line:
     <script src="{{ origin }}/polls.js" data-poll="POLL-ADDRESS" async></script>
   data-poll: one poll (its address from the link); without it, the list of current polls
   (data-territory narrows it to a territory by its code). The frame keeps the page's height. */
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
    var poll = script.getAttribute("data-poll");
    var territory = script.getAttribute("data-territory");
    var src = origin + "/widget/polls/" + (poll ? encodeURIComponent(poll) + "/" : "");
    if (!poll && territory) src += "?territory=" + encodeURIComponent(territory);
    var frame = document.createElement("iframe");
    frame.src = src;
    frame.title = script.getAttribute("data-title") || "Опрос жителей";
    frame.setAttribute("loading", "lazy");
    frame.className = "tsur-poll-frame";
    frame.style.cssText = "display:block;width:100%;max-width:760px;height:900px;border:0;overflow:hidden;background:transparent";
    frame.setAttribute("scrolling", "no");
    script.parentNode.insertBefore(frame, script.nextSibling);

    window.addEventListener("message", function (event) {
      if (event.origin !== origin || event.source !== frame.contentWindow) return;
      var data = event.data;
      if (!data || data.type !== MESSAGE) return;
      var height = Math.ceil(Number(data.height));
      if (height > 0 && height < 20000) frame.style.height = height + "px";
    });
  }

  var current = document.currentScript;
  if (current) {
    mount(current);
  } else {
    var all = document.querySelectorAll('script[src*="/polls.js"]');
    for (var i = 0; i < all.length; i++) mount(all[i]);
  }
})();
