// The user button's menu is a <details>, so it opens and closes without a
// script; this one makes it behave like a menu: a click outside it or
// Escape closes it, Escape returning focus to the button, and opening one
// closes any other.
(() => {
  "use strict";
  const root = document.documentElement;
  if (root.hasAttribute("data-latch-userbutton-ready")) {
    return; // a page with several buttons loads the script once per button
  }
  root.setAttribute("data-latch-userbutton-ready", "");
  const menus = () => document.querySelectorAll("details.latch-userbutton[open]");
  document.addEventListener("click", (e) => {
    for (const d of menus()) {
      if (!d.contains(e.target)) {
        d.open = false;
      }
    }
  });
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") {
      return;
    }
    for (const d of menus()) {
      d.open = false;
      const trigger = d.querySelector("summary");
      if (trigger) {
        trigger.focus();
      }
    }
  });
  document.addEventListener("toggle", (e) => {
    const d = e.target;
    if (!(d instanceof HTMLDetailsElement) || !d.open || !d.classList.contains("latch-userbutton")) {
      return;
    }
    for (const other of menus()) {
      if (other !== d) {
        other.open = false;
      }
    }
  }, true);
})();
