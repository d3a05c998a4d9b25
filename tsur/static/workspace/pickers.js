/* Searchable pickers: every <select data-picker> becomes a Tom Select (npm «tom-select», Apache-2.0,
 * served from /static/vendor/). The original select stays in the form and keeps its value, so forms
 * post as before and work without JavaScript. Re-initialised after every HTMX swap. */
(function () {
  "use strict";

  function message(text) {
    return function () {
      var div = document.createElement("div");
      div.className = "no-results";
      div.textContent = text;
      return div;
    };
  }

  function enhance(select) {
    if (select.tomselect || !window.TomSelect) return;
    var empty = select.querySelector('option[value=""]');
    // eslint-disable-next-line no-new
    new window.TomSelect(select, {
      create: false,
      allowEmptyOption: true,
      maxOptions: null,          // organisations and categories are a few hundred: show them all
      openOnFocus: true,
      selectOnTab: true,
      searchField: ["text", "optgroup"],
      placeholder: empty ? empty.textContent : "Начните вводить название",
      render: {
        no_results: message("Ничего не найдено"),
        loading: message("Загрузка…"),
      },
      onInitialize: function () {
        // The label still names the picker for screen readers and a click on it focuses the search.
        var label = select.id ? document.querySelector('label[for="' + select.id + '"]') : null;
        if (label && this.control_input) {
          this.control_input.setAttribute("aria-label", label.textContent.replace("*", "").trim());
        }
      },
    });
  }

  function init(root) {
    (root || document).querySelectorAll("select[data-picker]").forEach(enhance);
  }

  function destroyAll() {
    document.querySelectorAll("select[data-picker]").forEach(function (select) {
      if (select.tomselect) select.tomselect.destroy();
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  // The whole document: a swap of the results after a history save must restore the filters' pickers too.
  document.addEventListener("htmx:afterSettle", function () { init(document); });
  // HTMX's history keeps a copy of the page: keep the plain selects in it, not the pickers' markup.
  document.addEventListener("htmx:beforeHistorySave", destroyAll);
  document.addEventListener("htmx:historyRestore", function () { init(document); });
  if (document.readyState !== "loading") init(document);
})();
