// Progressive enhancement for every page: the phone menu and the scroll cue of wide tables.
(function () {
  "use strict";

  // A table wider than its frame scrolls inside it: keyboard users reach it (a named region with
  // tabindex), and a visible line says there is more to the side.
  function markScrollableTables() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      wrap.classList.toggle("table-wrap--scrolls", scrolls);
      if (scrolls) {
        var caption = wrap.querySelector("caption");
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", caption ? caption.textContent.trim() : document.title);
      } else {
        ["tabindex", "role", "aria-label"].forEach(function (name) { wrap.removeAttribute(name); });
      }
    });
  }

  // On a phone the menu folds behind one button; without script it stays open (wrapped).
  function foldMenu() {
    var nav = document.getElementById("site-menu");
    var toggle = document.getElementById("site-menu-toggle");
    if (!nav || !toggle) { return; }
    var phone = window.matchMedia("(max-width: 47.99rem)");
    function apply() {
      var folded = phone.matches && toggle.getAttribute("aria-expanded") !== "true";
      toggle.hidden = !phone.matches;
      nav.classList.toggle("site-header__nav--folded", folded);
    }
    toggle.addEventListener("click", function () {
      toggle.setAttribute("aria-expanded", toggle.getAttribute("aria-expanded") === "true" ? "false" : "true");
      apply();
    });
    phone.addEventListener("change", apply);
    apply();
  }

  foldMenu();
  markScrollableTables();
  window.addEventListener("resize", markScrollableTables);
})();
