// The operator console in the browser: sign-in with the identity provider (OpenID Connect,
// authorization code + PKCE, as the public client the page names), the access token kept in
// this tab's sessionStorage and sent as a bearer token on every htmx request, and the decline
// dialog. The pages themselves are rendered by the chat service.
"use strict";

const TOKEN_KEY = "cc-console-token";
const PENDING_KEY = "cc-console-pending-sign-in";
const body = document.body;
const issuer = body.dataset.issuer.replace(/\/$/, "");
const clientId = body.dataset.clientId;

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

function consoleUrl() {
  return window.location.origin + window.location.pathname;
}

async function discovery() {
  const response = await fetch(issuer + "/.well-known/openid-configuration");
  if (!response.ok) throw new Error("discovery answered " + response.status);
  return response.json();
}

function token() {
  const stored = JSON.parse(sessionStorage.getItem(TOKEN_KEY) || "null");
  if (!stored || Date.now() >= stored.expires_at) return null;
  return stored;
}

async function signIn() {
  const config = await discovery();
  const verifier = randomString();
  const state = randomString();
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, lang: body.dataset.lang }));
  const url = new URL(config.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: consoleUrl(),
    scope: "openid",
    state,
    code_challenge: base64url(digest),
    code_challenge_method: "S256",
    ui_locales: body.dataset.lang,
  }).toString();
  window.location.assign(url.toString());
}

// Back from the identity provider with ?code=...&state=...: trade the code for a token.
async function finishSignIn(params) {
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) || "null");
  sessionStorage.removeItem(PENDING_KEY);
  if (params.has("error")) throw new Error(params.get("error_description") || params.get("error"));
  if (!pending || pending.state !== params.get("state")) throw new Error("state mismatch");
  const config = await discovery();
  const response = await fetch(config.token_endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: params.get("code"),
      redirect_uri: consoleUrl(),
      client_id: clientId,
      code_verifier: pending.verifier,
    }),
  });
  if (!response.ok) throw new Error("token endpoint answered " + response.status);
  const answer = await response.json();
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify({
    access_token: answer.access_token,
    id_token: answer.id_token,
    expires_at: Date.now() + (answer.expires_in - 10) * 1000,
  }));
  const lang = pending.lang ? "?lang=" + encodeURIComponent(pending.lang) : "";
  window.history.replaceState(null, "", consoleUrl() + lang);
}

async function signOut() {
  const stored = token();
  sessionStorage.removeItem(TOKEN_KEY);
  try {
    const config = await discovery();
    if (config.end_session_endpoint) {
      const url = new URL(config.end_session_endpoint);
      url.search = new URLSearchParams({
        client_id: clientId,
        post_logout_redirect_uri: consoleUrl(),
        ...(stored && stored.id_token ? { id_token_hint: stored.id_token } : {}),
      }).toString();
      window.location.assign(url.toString());
      return;
    }
  } catch (error) {
    // The provider is unreachable: the token is gone from this tab all the same.
  }
  showSignedOut("");
}

function say(text) {
  const notice = document.getElementById("notice");
  notice.replaceChildren();
  if (text) {
    const p = document.createElement("p");
    p.className = "notice notice-refused";
    p.textContent = text;
    notice.append(p);
  }
}

function showSignedOut(message) {
  document.getElementById("desk").hidden = true;
  document.getElementById("chats-section").hidden = true;
  document.getElementById("signed-out").hidden = false;
  document.getElementById("sign-in").hidden = false;
  document.getElementById("sign-out").hidden = true;
  document.getElementById("who").textContent = "";
  say(message);
}

async function showSignedIn() {
  document.getElementById("desk").hidden = false;
  document.getElementById("chats-section").hidden = false;
  document.getElementById("signed-out").hidden = true;
  document.getElementById("sign-in").hidden = true;
  document.getElementById("sign-out").hidden = false;
  const me = await fetch("/v1/me", {
    headers: { Authorization: "Bearer " + token().access_token },
  });
  if (me.ok) {
    const person = await me.json();
    document.getElementById("who").textContent =
      body.dataset.signedInAs.replace("{name}", person.name || person.username || person.subject);
  }
  htmx.trigger(document.body, "signed-in");
}

document.body.addEventListener("htmx:configRequest", (event) => {
  const stored = token();
  if (!stored) {
    event.preventDefault();
    if (!document.getElementById("desk").hidden) showSignedOut(body.dataset.sessionExpired);
    return;
  }
  event.detail.headers.Authorization = "Bearer " + stored.access_token;
});

// Refusals are answers to show, not failures: a 409 (another operator was first) or a 422.
document.body.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if (status === 409 || status === 404 || status === 422) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  } else if (status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignedOut(body.dataset.sessionExpired);
  } else if (status === 403) {
    showSignedOut(body.dataset.forbidden);
  }
});

const dialog = document.getElementById("decline-dialog");
const declineForm = document.getElementById("decline-form");

document.body.addEventListener("click", (event) => {
  const button = event.target.closest("[data-decline]");
  if (!button) return;
  document.getElementById("decline-request").value = button.dataset.decline;
  document.getElementById("decline-which").textContent = button.dataset.decline;
  document.getElementById("decline-reason").value = "";
  dialog.showModal();
});
document.getElementById("decline-cancel").addEventListener("click", () => dialog.close());
declineForm.addEventListener("htmx:afterRequest", () => dialog.close());
// A message stored (204) leaves the box empty for the next one; a refused one stays to fix.
document.body.addEventListener("htmx:afterRequest", (event) => {
  if (event.target.id === "message-form" && event.detail.xhr.status === 204) {
    event.target.reset();
    document.getElementById("message-text").focus();
  }
});
document.getElementById("sign-in").addEventListener("click", () => {
  signIn().catch((error) => say(body.dataset.signInFailed.replace("{reason}", error.message)));
});
document.getElementById("sign-out").addEventListener("click", signOut);

(async () => {
  const params = new URLSearchParams(window.location.search);
  try {
    if (params.has("code") || params.has("error")) await finishSignIn(params);
  } catch (error) {
    showSignedOut(body.dataset.signInFailed.replace("{reason}", error.message));
    return;
  }
  if (token()) await showSignedIn();
  else showSignedOut("");
})();
