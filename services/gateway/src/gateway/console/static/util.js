// Small helpers shared by the views: elements built without innerHTML (every value from the API
// is text, never markup), numbers and durations, and days in the centre's time zone.

export const CENTRE_TZ = "Asia/Shanghai";

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/** YYYY-MM-DD of an instant in the centre's time zone (what the reports call a day). */
export function centreDay(instant = new Date()) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: CENTRE_TZ }).format(instant);
}

/** The hour (0-23) of an instant in the centre's time zone. */
export function centreHour(instant) {
  const hour = new Intl.DateTimeFormat("en-GB", { timeZone: CENTRE_TZ, hour: "2-digit", hourCycle: "h23" })
    .format(instant);
  return Number(hour);
}

export function centreTime(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: CENTRE_TZ, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23",
  }).format(new Date(iso)).replace(",", "");
}

/** The ISO week (YYYY-Www) of a YYYY-MM-DD day. */
export function isoWeek(day) {
  const d = new Date(day + "T00:00:00Z");
  const weekday = (d.getUTCDay() + 6) % 7; // Monday 0
  d.setUTCDate(d.getUTCDate() - weekday + 3); // the week's Thursday decides its year
  const year = d.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(year, 0, 4));
  firstThursday.setUTCDate(firstThursday.getUTCDate() - ((firstThursday.getUTCDay() + 6) % 7) + 3);
  const week = 1 + Math.round((d - firstThursday) / (7 * 86400000));
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** The Monday of the week holding ``day``, moved by ``weeks``. */
export function mondayOf(day, weeks = 0) {
  const d = new Date(day + "T00:00:00Z");
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7) + 7 * weeks);
  return d.toISOString().slice(0, 10);
}

export function fmtInt(n) {
  return n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US");
}

export function fmtRate(r) {
  return r === null || r === undefined ? "–" : `${(Number(r) * 100).toFixed(1)}%`;
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.round(Number(seconds));
  const hours = Math.floor(s / 3600), minutes = Math.floor((s % 3600) / 60), rest = s % 60;
  if (hours) return `${hours}h ${String(minutes).padStart(2, "0")}m`;
  return `${minutes}:${String(rest).padStart(2, "0")}`;
}

/** A measure's value as people read it: rates in %, times as durations, counts as numbers. */
export function fmtMeasure(name, value) {
  if (typeof value === "boolean") return value ? "✓" : "";
  if (name.endsWith("_rate") || name.endsWith("_share")) return fmtRate(value);
  if (name.endsWith("_seconds")) return fmtDuration(value);
  return fmtInt(value);
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
