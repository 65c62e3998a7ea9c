// The console's only way to data: the public API (/v1/...) with the signed-in user's bearer
// token, kept in sessionStorage (gone when the tab closes). The token's claims are read here
// only to label the page and to pre-fill the user's own team or id; the gateway checks the
// token on every call, and its answer (401, 403, rows narrowed) is what the pages show.

const KEY = "tm.console.token";

export function token() {
  return sessionStorage.getItem(KEY);
}

export function signIn(value) {
  sessionStorage.setItem(KEY, value.trim());
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

/** The token's claims (sub, roles, team), unverified: for display only. */
export function claims() {
  const value = token();
  if (!value) return null;
  try {
    const part = value.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0)));
    const found = JSON.parse(json);
    return { sub: found.sub, roles: found.roles || [], team: found.team || null, exp: found.exp };
  } catch {
    return null;
  }
}

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** The human part of an error answer: problem details (RFC 9457) or FastAPI's detail list. */
export function problemText(body, fallback) {
  if (!body || typeof body !== "object") return fallback;
  const detail = body.detail;
  if (typeof detail === "string" && detail) return detail;
  if (Array.isArray(detail)) return detail.map((d) => d.msg || JSON.stringify(d)).join("; ");
  if (Array.isArray(body.errors)) return body.errors.map((d) => d.msg || d.detail || JSON.stringify(d)).join("; ");
  return body.title || fallback;
}

// A 401 anywhere ends the session: the app shows the login page with the reason.
const listeners = new Set();
export function onUnauthorized(listener) {
  listeners.add(listener);
}

function url(path, params) {
  const address = new URL(path, location.origin);
  for (const [key, value] of Object.entries(params || {})) {
    if (value === null || value === undefined || value === "") continue;
    for (const one of Array.isArray(value) ? value : [value]) address.searchParams.append(key, one);
  }
  return address;
}

/**
 * Call the API. ``as``: "json" (default) or "blob" (a file, with its name from
 * Content-Disposition). Throws ApiError with the status and the API's own message.
 */
export async function api(path, { method = "GET", params, body, as = "json", headers = {} } = {}) {
  const current = token();
  if (!current) {
    listeners.forEach((l) => l("no token"));
    throw new ApiError(401, "no token");
  }
  const init = { method, headers: { Authorization: `Bearer ${current}`, ...headers } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(url(path, params), init);
  if (!resp.ok) {
    let answer = null;
    try {
      answer = await resp.json();
    } catch {
      answer = null;
    }
    const message = problemText(answer, `${resp.status} ${resp.statusText}`);
    if (resp.status === 401) listeners.forEach((l) => l(message));
    throw new ApiError(resp.status, message, answer);
  }
  if (as === "blob") {
    const disposition = resp.headers.get("Content-Disposition") || "";
    const name = /filename="?([^";]+)"?/.exec(disposition);
    return { blob: await resp.blob(), filename: name ? name[1] : "download" };
  }
  return resp.json();
}

/** Every page of a paged list (items + next_cursor), up to ``max`` items. */
export async function allPages(path, params, max = 5000) {
  const items = [];
  let cursor = null;
  do {
    const page = await api(path, { params: { ...params, cursor } });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

/**
 * Follow the live event stream (GET /v1/events/stream, Server-Sent Events) with fetch(), so the
 * bearer token goes in the Authorization header as on every other call (EventSource cannot send
 * one). Reconnects after a drop with Last-Event-ID, the cursor of the last event received, so
 * nothing is missed or repeated. Returns a function that stops it.
 */
export function liveEvents(types, onEvent, onState = () => {}) {
  let stopped = false;
  let controller = null;
  let lastId = null;

  function dispatch(block) {
    let id = null, type = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "id") id = value;
      else if (field === "event") type = value;
      else if (field === "data") data.push(value);
    }
    if (id !== null) lastId = id;
    if (!data.length) return;
    try {
      onEvent({ type, ...JSON.parse(data.join("\n")) });
    } catch (exc) {
      console.warn("unreadable live event", exc);
    }
  }

  async function follow() {
    let delay = 1000;
    while (!stopped) {
      controller = new AbortController();
      onState(lastId ? "reconnecting" : "connecting");
      try {
        const headers = { Authorization: `Bearer ${token()}`, Accept: "text/event-stream" };
        if (lastId) headers["Last-Event-ID"] = lastId;
        const resp = await fetch(url("/v1/events/stream", { type: types }), { headers, signal: controller.signal });
        if (resp.status === 401 || resp.status === 403) {
          onState("refused");
          if (resp.status === 401) listeners.forEach((l) => l("the live event stream refused the token"));
          return;
        }
        if (!resp.ok || !resp.body) throw new Error(`live events: ${resp.status}`);
        onState("live");
        delay = 1000;
        const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, "\n");
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch (exc) {
        if (stopped) return;
      }
      if (stopped) return;
      onState("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 30000);
    }
  }

  follow();
  return () => {
    stopped = true;
    if (controller) controller.abort();
  };
}
