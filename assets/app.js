// Mosis Developer Portal: the few behaviours that need script. Everything works without
// it; this file only adds upload progress, copy buttons, local times and CSRF for htmx.
"use strict";
(function () {
  const status = () => document.getElementById("status");
  const announce = (text) => { const s = status(); if (s) { s.textContent = text; } };

  // htmx sends the session's CSRF token on every request it makes.
  document.addEventListener("htmx:configRequest", (event) => {
    const meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRF-Token"] = meta.content; }
  });

  // Upload progress: htmx reports the XHR's progress; show it on the form's <progress>.
  document.addEventListener("htmx:xhr:progress", (event) => {
    const form = event.target.closest ? event.target.closest("form[data-upload]") : null;
    if (!form || !event.detail.lengthComputable) { return; }
    const bar = form.querySelector("progress");
    const label = form.querySelector("[data-progress-label]");
    const percent = Math.floor((event.detail.loaded / event.detail.total) * 100);
    if (bar) { bar.hidden = false; bar.value = percent; }
    if (label) {
      const mb = (n) => (n / 1e6).toFixed(1);
      label.textContent = mb(event.detail.loaded) + " of " + mb(event.detail.total) + " MB (" + percent + " %)";
    }
  });

  // htmx network errors: say so where the user is looking, keep the form.
  document.addEventListener("htmx:sendError", () => announce("Couldn't reach the server; retry."));

  // Copy buttons: <button data-copy="#id"> copies that element's value or text.
  document.addEventListener("click", (event) => {
    const button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) { return; }
    const source = document.querySelector(button.dataset.copy);
    if (!source) { return; }
    const text = "value" in source ? source.value : source.textContent;
    navigator.clipboard.writeText(text.trim()).then(
      () => announce("Copied"),
      () => announce("Copy failed: select the text and copy it by hand."),
    );
  });

  // Local times: <time datetime> gets the viewer's local time as its tooltip.
  const localise = (root) => {
    root.querySelectorAll("time[datetime]").forEach((t) => {
      const d = new Date(t.getAttribute("datetime"));
      if (!isNaN(d)) { t.title = d.toLocaleString(); }
    });
  };
  document.addEventListener("DOMContentLoaded", () => {
    localise(document);
    document.querySelectorAll("button[data-copy]").forEach((b) => { b.hidden = false; });
  });
  document.addEventListener("htmx:afterSwap", (event) => localise(event.target));
})();
