// The chat console's own part (console.js, shared with claims, does the sign-in): the decline
// dialog and the message box of an open chat.
"use strict";

const dialog = document.getElementById("decline-dialog");
const declineForm = document.getElementById("decline-form");

document.body.addEventListener("click", (event) => {
  const button = event.target.closest("[data-decline]");
  if (!button) return;
  document.getElementById("decline-request").value = button.dataset.decline;
  document.getElementById("decline-which").textContent = button.dataset.decline;
  // An offer's Pass declines the offer only (the request goes to a colleague).
  const offer = button.dataset.offer === "1";
  document.getElementById("decline-offer").value = offer ? "1" : "";
  const what = document.getElementById("decline-what");
  what.textContent = offer ? what.dataset.offer : what.dataset.request;
  document.getElementById("decline-reason").value = "";
  dialog.showModal();
});
document.getElementById("decline-cancel").addEventListener("click", () => dialog.close());
declineForm.addEventListener("htmx:afterRequest", () => dialog.close());
// A message stored (204) leaves the box empty for the next one; a refused one stays to fix.
document.body.addEventListener("htmx:afterRequest", (event) => {
  if (event.target.id === "message-form" && event.detail.xhr.status === 204) {
    event.target.reset();
    const box = document.getElementById("message-text");
    box.defaultValue = ""; // a canned response put in the box is its default: sent, it goes
    box.value = "";
    box.focus();
  }
});
// Signing out says offline at once (otherwise the missed heartbeats say it within a minute).
// Capture phase: this runs before console.js forgets the token.
document.addEventListener(
  "click",
  (event) => {
    if (!event.target.closest("#sign-out")) return;
    const stored = JSON.parse(sessionStorage.getItem("cc-console-token") || "null");
    if (!stored) return;
    fetch("/v1/presence", {
      method: "PUT",
      keepalive: true,
      headers: { Authorization: "Bearer " + stored.access_token, "Content-Type": "application/json" },
      body: JSON.stringify({ status: "offline" }),
    }).catch(() => undefined);
  },
  true,
);
