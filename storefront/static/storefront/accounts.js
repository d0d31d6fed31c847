// Save and Follow buttons without leaving the page. Each button is a plain POST form
// (storefront/includes/save_button.html, follow_button.html) that works without this file;
// here the form is sent with fetch, and every button for the same item flips in place.
(function () {
  "use strict";
  if (window.inspiredAccounts) {
    return; // loaded twice: one listener is enough
  }
  window.inspiredAccounts = true;

  function show(form, active) {
    const button = form.querySelector("button");
    const icon = form.querySelector(".toggle-icon");
    const label = form.querySelector(".toggle-label");
    const status = form.querySelector(".toggle-status");
    form.action = active ? form.dataset.onAction : form.dataset.offAction;
    button.setAttribute("aria-pressed", active ? "true" : "false");
    button.classList.toggle("button--ghost", !active);
    if (icon) {
      icon.textContent = active ? icon.dataset.on : icon.dataset.off;
    }
    // "Saved" / "Following" says the state; the title says how to undo it.
    if (label) {
      label.textContent = active ? label.dataset.on : label.dataset.off;
    }
    button.title = active ? button.dataset.onTitle : button.dataset.offTitle;
    if (status) {
      status.textContent = active ? form.dataset.onStatus : form.dataset.offStatus;
    }
  }

  document.addEventListener("submit", async function (event) {
    const form = event.target.closest("form[data-toggle]");
    if (!form) {
      return;
    }
    event.preventDefault();
    if (form.getAttribute("aria-busy") === "true") {
      return; // a double click sends one request
    }
    form.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const type = response.headers.get("Content-Type") || "";
      if (!response.ok || !type.includes("application/json")) {
        // Signed out meanwhile, or an error page: let the browser go there as without JS.
        form.removeAttribute("aria-busy");
        form.submit();
        return;
      }
      const data = await response.json();
      const key = form.dataset.toggle;
      document.querySelectorAll("form[data-toggle]").forEach(function (other) {
        if (other.dataset.toggle === key) {
          show(other, data.active);
        }
      });
    } catch (error) {
      form.submit();
    } finally {
      form.removeAttribute("aria-busy");
    }
  });
})();
