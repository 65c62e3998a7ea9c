// The console's shell: the sign-in page, the navigation, the language toggle and the hash
// routes (#/today, #/agent?id=A001, #/review, #/callbacks, #/exports). Each view module draws
// itself into <main> and returns what to stop when the user leaves it (live streams, keys).

import { ApiError, api, claims, onUnauthorized, signIn, signOut, token } from "./api.js";
import { lang, setLang, t, translatePage } from "./i18n.js";
import { clear, h } from "./util.js";
import * as today from "./views/today.js";
import * as agent from "./views/agent.js";
import * as review from "./views/review.js";
import * as callbacks from "./views/callbacks.js";
import * as exports_ from "./views/exports.js";

const VIEWS = { today, agent, review, callbacks, exports: exports_ };
const view = document.getElementById("view");
let cleanups = [];
let generation = 0; // the view on screen; a view still loading when the user left it stops at once
let loginReason = null;

function route() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [name, query] = hash.split("?");
  return { name: name || "", params: new URLSearchParams(query || "") };
}

/** Where a role lands after signing in. */
function home(roles) {
  if (roles.includes("supervisor") || roles.includes("manager") || roles.includes("admin")) return "today";
  if (roles.includes("qa")) return "review";
  if (roles.includes("agent")) return "agent";
  return "exports";
}

export function toast(message, kind = "info") {
  const box = document.getElementById("toast");
  box.textContent = message;
  box.className = kind;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (box.hidden = true), 4000);
}

/** An error from the API in place of (or inside) a view: a 403 says the role may not see it. */
export function errorPanel(error) {
  const who = claims();
  if (error instanceof ApiError && error.status === 403) {
    return h(
      "div",
      { class: "panel forbidden", role: "alert" },
      h("h2", {}, t("forbidden")),
      h("p", {}, error.message),
      who ? h("p", { class: "muted" }, `${t("forbidden.roles")}: ${who.sub} (${who.roles.join(", ")})`) : null,
    );
  }
  return h("div", { class: "panel failure", role: "alert" }, h("h2", {}, t("error")), h("p", {}, String(error.message || error)));
}

function renderHeader() {
  const who = claims();
  const signedIn = Boolean(token() && who);
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("signout").hidden = !signedIn;
  document.getElementById("who").textContent = signedIn
    ? `${who.sub} · ${who.roles.join(", ")}${who.team ? " · " + who.team : ""}`
    : "";
  document.getElementById("lang").textContent = lang() === "zh" ? "English" : "中文";
  const current = route().name;
  for (const link of document.querySelectorAll("#nav a")) link.classList.toggle("active", link.dataset.page === current);
  translatePage();
}

function renderLogin() {
  const field = h("textarea", { id: "token", rows: 5, spellcheck: "false", autocomplete: "off", placeholder: "eyJhbGciOi…" });
  const message = h("p", { class: "error", role: "alert" }, loginReason ? `${t("login.expired")}: ${loginReason}` : "");
  const form = h(
    "form",
    { class: "panel login", id: "login" },
    h("h1", {}, t("login.title")),
    h("p", { class: "muted" }, t("login.help")),
    h("label", { for: "token" }, t("login.token")),
    field,
    message,
    h("button", { type: "submit", id: "signin" }, t("login.submit")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    signIn(field.value);
    try {
      // Any role may read the QA policy: a 200 means the gateway accepts the token.
      await api("/v1/qa/policy");
    } catch (error) {
      signOut();
      message.textContent = `${t("login.refused")}: ${error.message}`;
      return;
    }
    loginReason = null;
    location.hash = `#/${home(claims()?.roles || [])}`;
  });
  clear(view).append(form);
  field.focus();
}

async function show() {
  for (const stop of cleanups.splice(0)) {
    try {
      stop();
    } catch (exc) {
      console.warn(exc);
    }
  }
  renderHeader();
  const { name, params } = route();
  if (!token() || !claims()) {
    renderLogin();
    return;
  }
  const module = VIEWS[name];
  if (!module) {
    location.replace(`#/${home(claims().roles)}`);
    return;
  }
  clear(view).append(h("p", { class: "muted" }, t("loading")));
  const mine = ++generation;
  const ctx = {
    params,
    claims: claims(),
    onCleanup: (fn) => (mine === generation ? cleanups.push(fn) : fn()),
    toast,
    errorPanel,
    navigate: (hash) => (location.hash = hash),
  };
  try {
    await module.render(view, ctx);
  } catch (error) {
    if (mine === generation) clear(view).append(errorPanel(error));
  }
}

onUnauthorized((reason) => {
  // On the sign-in page the form itself says why the token was refused.
  if (!token() || document.getElementById("login")) return;
  signOut();
  loginReason = reason;
  show();
});

document.getElementById("signout").addEventListener("click", () => {
  signOut();
  loginReason = null;
  location.hash = "#/login";
  show();
});
document.getElementById("lang").addEventListener("click", () => {
  setLang(lang() === "zh" ? "en" : "zh");
  show();
});
window.addEventListener("hashchange", show);
setLang(lang());
show();
