// Theme: the saved choice, else the system's; set before first paint (loaded in <head>).
(function () {
  var root = document.documentElement;
  var saved = null;
  try { saved = localStorage.getItem("lrquiz-theme"); } catch (e) { /* private mode */ }
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  root.setAttribute("data-theme", saved === "dark" || saved === "light" ? saved : (dark ? "dark" : "light"));

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("theme-toggle");
    if (!button) { return; }
    function show() {
      var isDark = root.getAttribute("data-theme") === "dark";
      button.setAttribute("aria-pressed", isDark ? "true" : "false");
      button.querySelector(".label").textContent = isDark ? "Light theme" : "Dark theme";
      button.querySelector(".icon").textContent = isDark ? "☀️" : "🌙";
    }
    button.hidden = false;
    show();
    button.addEventListener("click", function () {
      var next = root.getAttribute("data-theme") === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem("lrquiz-theme", next); } catch (e) { /* not kept */ }
      show();
      document.dispatchEvent(new CustomEvent("lrquiz:theme", { detail: next }));
    });
  });
})();
