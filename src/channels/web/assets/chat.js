// The chat page's script: sends what the resident types or presses to POST /chat and appends
// the replies. Every reply arrives as HTML the server escaped; the resident's own words are
// shown as text, never as HTML. No inline script: the CSP forbids it.
"use strict";

(function () {
  const main = document.getElementById("chat");
  const log = document.getElementById("log");
  const form = document.getElementById("ask");
  const box = document.getElementById("text");
  const send = document.getElementById("send");
  const status = document.getElementById("status");
  const alertBox = document.getElementById("alert");
  let busy = false;

  function own(text) {
    const msg = document.createElement("div");
    msg.className = "msg you";
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = main.dataset.you + ": ";
    const body = document.createElement("div");
    body.className = "text";
    body.textContent = text;
    msg.append(who, body);
    log.append(msg);
  }

  function showAlert(text) {
    alertBox.textContent = text;
    alertBox.hidden = false;
  }

  // `what` is the JSON the server reads; `echo` the words shown as the resident's.
  async function post(what, echo) {
    if (busy) return false;
    busy = true;
    send.disabled = true;
    alertBox.hidden = true;
    status.textContent = main.dataset.sending;
    try {
      const response = await fetch("/chat", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-Madoguchi": "chat" },
        body: JSON.stringify(what),
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok || typeof answer.html !== "string") {
        showAlert(answer.error || main.dataset.networkError);
        return false;
      }
      if (echo) own(echo);
      const holder = document.createElement("div");
      holder.innerHTML = answer.html;
      for (const msg of Array.from(holder.children)) {
        const who = document.createElement("span");
        who.className = "who";
        who.textContent = main.dataset.bot + ": ";
        msg.prepend(who);
        log.append(msg);
      }
      log.lastElementChild && log.lastElementChild.scrollIntoView({ block: "start", behavior: "smooth" });
      return true;
    } catch (e) {
      showAlert(main.dataset.networkError);
      return false;
    } finally {
      status.textContent = "";
      busy = false;
      send.disabled = false;
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = box.value;
    // The text stays in the box until madoguchi has it: nothing is lost on a refusal.
    if (await post({ text: text }, text.trim())) {
      box.value = "";
    }
    box.focus();
  });

  // Enter sends, Shift+Enter starts a new line; never while the IME is still converting.
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  log.addEventListener("click", (event) => {
    const button = event.target.closest("button.choice");
    if (button) post({ button: button.dataset.payload }, button.textContent.trim());
  });

  document.getElementById("forget").addEventListener("click", () => post({ command: "forget" }, null));

  for (const [id, cls] of [["larger", "larger"], ["contrast", "contrast"]]) {
    const toggle = document.getElementById(id);
    const apply = (on) => {
      document.documentElement.classList.toggle(cls, on);
      toggle.setAttribute("aria-pressed", on ? "true" : "false");
    };
    apply(localStorage.getItem("madoguchi-" + cls) === "on");
    toggle.addEventListener("click", () => {
      const on = toggle.getAttribute("aria-pressed") !== "true";
      apply(on);
      localStorage.setItem("madoguchi-" + cls, on ? "on" : "off");
    });
  }

  post({ command: "start" }, null);
})();
