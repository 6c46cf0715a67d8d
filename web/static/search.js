// Type-ahead for the search box: asks /search.json as you type and lists links under the box.
// The search works without it (the form submits to /search).
(function () {
  var input = document.getElementById("q");
  var list = document.getElementById("suggestions");
  if (!input || !list || !window.fetch) return;
  var timer = null, last = "";
  function clear() { while (list.firstChild) list.removeChild(list.firstChild); }
  function show(items) {
    clear();
    items.forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = item.url;
      a.textContent = item.label;          // text, never HTML: labels come from data files
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = " · " + item.kind;
      li.appendChild(a); li.appendChild(kind); list.appendChild(li);
    });
  }
  input.addEventListener("input", function () {
    var q = input.value.trim();
    clearTimeout(timer);
    if (q.length < 2) { clear(); last = ""; return; }
    timer = setTimeout(function () {
      if (q === last) return;
      last = q;
      var url = input.dataset.suggest + "?q=" + encodeURIComponent(q) + "&lang=" + input.dataset.lang;
      fetch(url).then(function (r) { return r.json(); }).then(function (items) {
        if (input.value.trim() === q) show(items);
      }).catch(function () { clear(); });
    }, 150);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown" && list.firstChild) { e.preventDefault(); list.querySelector("a").focus(); }
    if (e.key === "Escape") clear();
  });
  list.addEventListener("keydown", function (e) {
    var li = document.activeElement && document.activeElement.parentNode;
    if (e.key === "ArrowDown" && li && li.nextSibling) { e.preventDefault(); li.nextSibling.querySelector("a").focus(); }
    if (e.key === "ArrowUp") { e.preventDefault(); (li && li.previousSibling ? li.previousSibling.querySelector("a") : input).focus(); }
    if (e.key === "Escape") { clear(); input.focus(); }
  });
})();
