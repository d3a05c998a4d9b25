{% extends "intake/embed.js" %}
{% block usage %}/* Resident appeal widget of the regional management center (ЦУР).
   Usage on an official site, one line where the form should appear:
     <script src="{{ origin }}/widget.js" data-category="optional-category-code" async></script>
   Inserts an iframe with the form and keeps its height equal to the form's height. */{% endblock %}
{% block frame_source %}    var params = ["embed=1"];
    ["category", "territory"].forEach(function (name) {
      var value = script.getAttribute("data-" + name);
      if (value) params.push(name + "=" + encodeURIComponent(value));
    });
    return origin + "/widget/?" + params.join("&");{% endblock %}
{% block title %}Сообщить о проблеме{% endblock %}
{% block frame_class %}tsur-widget-frame{% endblock %}
{% block height %}1200{% endblock %}
{% block script_name %}widget.js{% endblock %}
