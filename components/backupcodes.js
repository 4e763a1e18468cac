// Backup codes: "Copy all" puts the codes on the clipboard, "Print" prints
// the page. Both buttons are hidden until this script shows them; the
// download link works without it.
(() => {
  "use strict";
  const start = () => {
    for (const box of document.querySelectorAll("[data-latch-backup-codes]")) {
      const text = box.getAttribute("data-latch-backup-codes");
      const status = box.querySelector("[data-latch-backup-status]");
      const copy = box.querySelector("[data-latch-backup-copy]");
      const print = box.querySelector("[data-latch-backup-print]");
      if (copy && navigator.clipboard) {
        copy.hidden = false;
        copy.addEventListener("click", async () => {
          try {
            await navigator.clipboard.writeText(text);
            if (status) {
              status.textContent = copy.getAttribute("data-latch-backup-copied");
            }
          } catch (e) {
            if (status) {
              status.textContent = "";
            }
          }
        });
      }
      if (print && typeof window.print === "function") {
        print.hidden = false;
        print.addEventListener("click", () => window.print());
      }
    }
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
