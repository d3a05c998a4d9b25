{% extends "intake/embed.js" %}
{% block usage %}/* Polls of the regional management center (ЦУР) on an official site, one line:
     <script src="{{ origin }}/polls.js" data-poll="POLL-ADDRESS" async></script>
   data-poll: one poll (its address from the link); without it, the list of current polls
   (data-territory narrows it to a territory by its code). The frame keeps the page's height. */{% endblock %}
{% block frame_source %}    var poll = script.getAttribute("data-poll");
    var territory = script.getAttribute("data-territory");
    var src = origin + "/widget/polls/" + (poll ? encodeURIComponent(poll) + "/" : "");
    if (!poll && territory) src += "?territory=" + encodeURIComponent(territory);
    return src;{% endblock %}
{% block title %}Опрос жителей{% endblock %}
{% block frame_class %}tsur-poll-frame{% endblock %}
{% block height %}900{% endblock %}
{% block script_name %}polls.js{% endblock %}
