// Progressive enhancement: poll the import's status and update the page in place; once
// the import has finished, reload, so the page shows its outcome and next steps.
(function () {
  "use strict";
  var box = document.getElementById("import");
  if (!box || box.dataset.finished === "1") return;
  var url = box.dataset.statusUrl;
  function fmt(n) { return (n / 1024).toFixed(1) + " KB"; }
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.finished) { window.location.reload(); return; }
        document.getElementById("import-heading").textContent = s.heading;
        document.title = s.heading + " · Influence";
        document.getElementById("import-progress").value = s.percent;
        document.getElementById("import-label").textContent = s.label;
        document.getElementById("import-counts").textContent =
          fmt(s.bytes_done) + " of " + fmt(s.size) + " · " + s.lines_done + " lines";
        document.getElementById("import-message").textContent = s.message;
        setTimeout(tick, 700);
      })
      .catch(function () { setTimeout(tick, 2000); });
  }
  tick();
})();
