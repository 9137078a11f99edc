// A console in the browser (chat's and claims' share it): sign-in with the identity provider
// (OpenID Connect, authorization code + PKCE, as the public client the page names), the access
// token kept in this tab's sessionStorage and sent as a bearer token on every htmx request.
// The page marks what only a signed-in person sees with data-signed-in and what a visitor
// sees with data-signed-out; the pages themselves are rendered by the service.
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

function showOnly(signedIn) {
  for (const part of document.querySelectorAll("[data-signed-in]")) part.hidden = !signedIn;
  for (const part of document.querySelectorAll("[data-signed-out]")) part.hidden = signedIn;
}

function isSignedInView() {
  return !document.getElementById("sign-out").hidden;
}

function showSignedOut(message) {
  showOnly(false);
  document.getElementById("sign-in").hidden = false;
  document.getElementById("sign-out").hidden = true;
  document.getElementById("who").textContent = "";
  say(message);
}

async function showSignedIn() {
  showOnly(true);
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
    if (isSignedInView()) showSignedOut(body.dataset.sessionExpired);
    return;
  }
  event.detail.headers.Authorization = "Bearer " + stored.access_token;
});

// Refusals are answers to show, not failures: a 409 (another person was first), a 404, a 413
// (a file too large), a 422, or a 403 the service words itself (X-Console-Refusal: a ticket
// another team holds).
document.body.addEventListener("htmx:beforeSwap", (event) => {
  const xhr = event.detail.xhr;
  const status = xhr.status;
  const worded = status === 403 && xhr.getResponseHeader("X-Console-Refusal");
  if (status === 409 || status === 404 || status === 413 || status === 422 || worded) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  } else if (status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignedOut(body.dataset.sessionExpired);
  } else if (status === 403) {
    showSignedOut(body.dataset.forbidden);
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
