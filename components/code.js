// Latch's code script, for the sign-in and sign-up cards. Without it the
// pages work as they are: one plain code field, an enabled "Resend code".
// With it:
//
// A one-time code's field (<input data-latch-otp="6">) becomes that many
// single-digit boxes. Typing a digit moves to the next box, Backspace in
// an empty box goes back, and a paste or an autofill (the first box has
// autocomplete="one-time-code") of the whole code into any box fills them
// all. The boxes write the code into the original input, which keeps its
// name and is what the form posts, so the server sees the same form; once
// every box holds a digit the form is sent.
//
// A resend button (<button data-latch-resend-wait="30"
// data-latch-resend-label="Resend code ({s})">) stays disabled for that
// many seconds, counting down in its label: a code was just sent.
(() => {
  "use strict";
  const root = document.documentElement;
  if (root.hasAttribute("data-latch-code-ready")) {
    return; // loaded twice on one page
  }
  root.setAttribute("data-latch-code-ready", "");

  const digitsOf = (s) => String(s || "").replace(/\D/g, "");

  // sent marks forms already sent, so that an Enter pressed as the last
  // digit sends the form does not send it (and spend the code) twice.
  const sent = new WeakSet();
  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.querySelector("input[data-latch-otp]")) {
      return;
    }
    if (sent.has(form)) {
      e.preventDefault();
      return;
    }
    sent.add(form);
  });

  function boxes(real) {
    const n = parseInt(real.getAttribute("data-latch-otp"), 10);
    if (!(n > 0) || n > 12) {
      return;
    }
    const form = real.form;
    const id = real.id;
    const label = id ? document.querySelector('label[for="' + CSS.escape(id) + '"]') : null;
    const template = real.getAttribute("data-latch-otp-label") || "Digit {i} of {n}";

    const group = document.createElement("div");
    group.className = "latch-otp";
    group.setAttribute("role", "group");
    if (label) {
      label.id = label.id || id + "-label";
      group.setAttribute("aria-labelledby", label.id);
    }
    const describedBy = real.getAttribute("aria-describedby");
    if (describedBy) {
      group.setAttribute("aria-describedby", describedBy);
    }

    const list = [];
    for (let i = 0; i < n; i++) {
      const box = document.createElement("input");
      box.className = "latch-input latch-otp__box";
      box.type = "text";
      box.inputMode = "numeric";
      box.setAttribute("pattern", "[0-9]");
      box.autocomplete = i === 0 ? "one-time-code" : "off";
      box.spellcheck = false;
      box.required = real.required;
      box.setAttribute("aria-label", template.replace("{i}", String(i + 1)).replace("{n}", String(n)));
      if (real.getAttribute("aria-invalid") === "true") {
        box.setAttribute("aria-invalid", "true");
      }
      list.push(box);
      group.appendChild(box);
    }

    // The first box takes the field's id, so that its label, and whatever
    // types into the field by its id, lands in the boxes; the original
    // input, now hidden, keeps the name and carries the code.
    if (id) {
      real.id = id + "-value";
      list[0].id = id;
    }
    const autofocus = real.autofocus;
    real.type = "hidden";
    real.removeAttribute("required");
    real.removeAttribute("autofocus");
    real.parentNode.insertBefore(group, real.nextSibling);

    const sync = () => {
      real.value = list.map((b) => b.value).join("");
      if (real.value.length === n && form && !sent.has(form)) {
        if (typeof form.requestSubmit === "function") {
          form.requestSubmit();
        } else {
          form.submit();
        }
      }
    };

    const focus = (i) => {
      const b = list[Math.max(0, Math.min(n - 1, i))];
      b.focus();
      b.select();
    };

    // fill writes digits into the boxes from box start, and moves to the
    // box after the last one written. A whole code, wherever it lands,
    // fills every box.
    const fill = (start, digits) => {
      if (digits.length >= n) {
        start = 0;
      }
      let i = start;
      for (const d of digits.slice(0, n - start)) {
        list[i++].value = d;
      }
      focus(i);
      sync();
    };

    list.forEach((box, i) => {
      box.addEventListener("focus", () => box.select());
      box.addEventListener("input", () => {
        const digits = digitsOf(box.value);
        box.value = "";
        if (digits === "") {
          sync();
          return;
        }
        // One typed digit replaces the box's; more (an autofill, a
        // keyboard's suggestion) spread over the boxes.
        fill(i, digits.length === 2 && box.dataset.prev ? digits.slice(-1) : digits);
      });
      box.addEventListener("keydown", (e) => {
        box.dataset.prev = box.value ? "1" : "";
        if (e.key === "Backspace" && box.value === "" && i > 0) {
          e.preventDefault();
          list[i - 1].value = "";
          focus(i - 1);
          sync();
        } else if (e.key === "ArrowLeft" && i > 0) {
          e.preventDefault();
          focus(i - 1);
        } else if (e.key === "ArrowRight" && i < n - 1) {
          e.preventDefault();
          focus(i + 1);
        }
      });
      box.addEventListener("paste", (e) => {
        const text = (e.clipboardData || window.clipboardData).getData("text");
        const digits = digitsOf(text);
        e.preventDefault();
        if (digits !== "") {
          fill(i, digits);
        }
      });
    });

    const initial = digitsOf(real.value);
    if (initial) {
      initial.slice(0, n).split("").forEach((d, i) => {
        list[i].value = d;
      });
    }
    if (autofocus) {
      focus(0);
    }
  }

  function countdown(button) {
    let left = parseInt(button.getAttribute("data-latch-resend-wait"), 10);
    const label = button.textContent;
    const template = button.getAttribute("data-latch-resend-label") || label + " ({s})";
    if (!(left > 0)) {
      return;
    }
    const tick = () => {
      if (left <= 0) {
        button.disabled = false;
        button.textContent = label;
        return;
      }
      button.disabled = true;
      button.textContent = template.replace("{s}", String(left));
      left--;
      setTimeout(tick, 1000);
    };
    tick();
  }

  function start() {
    document.querySelectorAll("input[data-latch-otp]").forEach(boxes);
    document.querySelectorAll("button[data-latch-resend-wait]").forEach(countdown);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
