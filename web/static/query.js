// The query page: highlighting under the editor, Ctrl+Enter to run, saved queries loaded into the editor.
(function () {
  "use strict";
  var area = document.getElementById("query");
  var code = document.getElementById("query-highlight");
  var form = document.getElementById("query-form");
  if (!area || !code || !window.sparqlHighlight) return;
  var editor = area.parentNode;
  editor.classList.add("highlighting");

  function paint() {
    // A trailing newline keeps the last empty line the same height in the <pre> as in the textarea.
    code.innerHTML = window.sparqlHighlight(area.value) + "\n";
    code.parentNode.scrollTop = area.scrollTop;
  }
  area.addEventListener("input", paint);
  area.addEventListener("scroll", function () { code.parentNode.scrollTop = area.scrollTop; });
  area.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.submit(); }
    if (e.key === "Tab" && !e.shiftKey) {
      e.preventDefault();
      var s = area.selectionStart;
      area.setRangeText("  ", s, area.selectionEnd, "end");
      paint();
    }
  });
  // "edit" on a saved query: fetch its text and put it in the editor without leaving the page.
  document.querySelectorAll("a.load-query").forEach(function (link) {
    link.addEventListener("click", function (e) {
      var name = link.closest("li").getAttribute("data-name");
      e.preventDefault();
      fetch("/sparql/queries/" + encodeURIComponent(name) + ".rq").then(function (r) { return r.text(); })
        .then(function (text) { area.value = text; paint(); area.focus(); window.scrollTo(0, form.offsetTop); });
    });
  });
  paint();
})();
