// Today for a team: the day's figures (reporting's daily table, the team's row), dials and
// successes by hour (the day's calls), the agents ranked (reporting's ranking), all kept live
// from the event stream: a call placed or ended, a finding found or decided, redraws them
// without reloading the page.

import { allPages, api, liveEvents } from "../api.js";
import { hourlyBars } from "../charts.js";
import { t } from "../i18n.js";
import { centreDay, centreHour, clear, fmtDuration, fmtInt, fmtMeasure, fmtRate, h } from "../util.js";

const TILES = [
  ["dials", (row) => fmtInt(row.dials), null],
  ["connect_rate", (row) => fmtRate(row.connect_rate), (row) => `${fmtInt(row.connected)} / ${fmtInt(row.dials)}`],
  ["talk_time", (row) => fmtDuration(row.talk_seconds), (row) => `${t("avg_talk_seconds")} ${fmtDuration(row.avg_talk_seconds)}`],
  ["intent", (row) => fmtInt(row.intent), (row) => `${t("intent_rate")} ${fmtRate(row.intent_rate)}`],
  ["successes", (row) => fmtInt(row.conversions), (row) => `${t("conversion_rate")} ${fmtRate(row.conversion_rate)}`],
  ["findings", (row) => fmtInt(row.violations_found), (row) => `${t("violations_confirmed")} ${fmtInt(row.violations_confirmed)}`],
];
const RANK_METRICS = ["dials", "conversions", "connect_rate", "conversion_rate", "talk_seconds", "intent"];
const LIVE_TYPES = [
  "CallPlaced", "CallEnded", "CallRefused", "ViolationFound", "ViolationConfirmed", "ViolationDismissed",
  "FineAssessed", "SaleVoided",
];

/** A call's flags as the calls list or a CallEnded event carries them. */
function isSuccess(call) {
  const flags = call.disposition_flags;
  if (Array.isArray(flags)) return flags.includes("sale");
  return call.disposition === "success";
}

export async function render(root, ctx) {
  const day = ctx.params.get("date") || centreDay();
  // A supervisor's own team; a manager or admin may choose one (none: the whole centre).
  const team = ctx.params.get("team") || ctx.claims.team || "";
  const calls = new Map(); // call id -> {hour, success}: the chart's data, kept from events too

  const dayInput = h("input", { type: "date", value: day, id: "today-date" });
  const teamInput = h("input", { type: "text", value: team, id: "today-team", size: 8, placeholder: t("today.allteams") });
  const go = h("button", { type: "button", class: "ghost" }, t("load"));
  go.addEventListener("click", () => ctx.navigate(`#/today?date=${dayInput.value}&team=${encodeURIComponent(teamInput.value.trim())}`));
  const liveBadge = h("span", { class: "live", id: "live-state" }, t("live.connecting"));
  const updated = h("span", { class: "muted", id: "updated" });
  const tiles = h("section", { class: "tiles", id: "tiles" });
  const chartBox = h("div", { class: "chart", id: "hourly-chart" });
  const metric = h("select", { id: "rank-metric" }, RANK_METRICS.map((m) => h("option", { value: m }, t(m))));
  const ranking = h("div", { id: "ranking" });
  const failure = h("div");

  clear(root).append(
    h(
      "div",
      { class: "toolbar" },
      h("h1", {}, `${t("today.title")} · ${team || t("today.allteams")}`),
      h("label", {}, t("day"), " ", dayInput),
      h("label", {}, t("team"), " ", teamInput),
      go,
      h("span", { class: "spacer" }),
      liveBadge,
      updated,
    ),
    failure,
    tiles,
    h(
      "div",
      { class: "columns" },
      h("section", { class: "panel wide" }, h("h2", {}, t("today.byhour")), chartBox),
      h("section", { class: "panel" }, h("div", { class: "row" }, h("h2", {}, t("today.ranking")), metric), ranking),
    ),
  );
  const chart = hourlyBars(chartBox, [t("dials"), t("successes")]);
  ctx.onCleanup(chart.destroy);

  function drawChart() {
    const dials = new Array(24).fill(0), successes = new Array(24).fill(0);
    for (const call of calls.values()) {
      dials[call.hour] += 1;
      if (call.success) successes[call.hour] += 1;
    }
    chart.update([dials, successes]);
  }

  function remember(call) {
    const placed = new Date(call.placed_at);
    if (Number.isNaN(placed.getTime()) || centreDay(placed) !== day) return false;
    const before = calls.get(call.call_id);
    calls.set(call.call_id, { hour: centreHour(placed), success: before?.success || isSuccess(call) });
    return true;
  }

  async function loadFigures() {
    const report = await api("/v1/reports/daily", { params: { date: day, group_by: "team" } });
    // A team with no call yet has no row: its counts are 0, its rates undefined.
    const none = { dials: 0, connected: 0, talk_seconds: 0, intent: 0, conversions: 0, violations_found: 0, violations_confirmed: 0 };
    const row = team ? report.rows.find((r) => r.team_id === team) || none : report.totals;
    const shown = TILES.map(([key, main, sub]) =>
      h(
        "div",
        { class: "tile", dataset: { measure: key } },
        h("div", { class: "label" }, t(key)),
        h("div", { class: "value", id: `tile-${key}` }, main(row)),
        sub ? h("div", { class: "sub" }, sub(row)) : null,
      ),
    );
    // A figure that changed flashes once.
    const before = Object.fromEntries([...tiles.querySelectorAll(".value")].map((v) => [v.id, v.textContent]));
    clear(tiles).append(...shown);
    for (const value of tiles.querySelectorAll(".value")) {
      if (before[value.id] !== undefined && before[value.id] !== value.textContent) value.classList.add("changed");
    }
  }

  async function loadRanking() {
    const answer = await api("/v1/reports/ranking", { params: { metric: metric.value, date: day, team, limit: 10 } });
    const table = (rows, id) =>
      h(
        "table",
        { class: "compact", id },
        h("thead", {}, h("tr", {}, h("th", {}, t("rank")), h("th", {}, t("agent")), h("th", { class: "num" }, t(metric.value)))),
        h(
          "tbody",
          {},
          rows.length
            ? rows.map((r) =>
                h(
                  "tr",
                  {},
                  h("td", {}, r.rank),
                  h("td", {}, h("a", { href: `#/agent?id=${encodeURIComponent(r.agent_id)}&date=${day}` }, r.agent_id)),
                  h("td", { class: "num" }, fmtMeasure(metric.value, r.value)),
                ),
              )
            : h("tr", {}, h("td", { colspan: 3, class: "muted" }, t("none"))),
        ),
      );
    clear(ranking).append(table(answer.items, "ranking-top"));
    if (answer.total > answer.items.length) ranking.append(h("h3", {}, t("today.bottom")), table(answer.bottom, "ranking-bottom"));
  }

  async function loadCalls() {
    const items = await allPages("/v1/calls", { day, team_id: team, limit: 500 });
    calls.clear();
    for (const call of items) if (call.status !== "refused") remember(call);
    drawChart();
  }

  async function refresh() {
    try {
      await Promise.all([loadFigures(), loadRanking()]);
      clear(failure);
      updated.textContent = `${t("updated")} ${new Date().toLocaleTimeString("en-GB")}`;
    } catch (error) {
      clear(failure).append(ctx.errorPanel(error));
    }
  }

  metric.addEventListener("change", () => loadRanking().catch((e) => clear(failure).append(ctx.errorPanel(e))));
  await Promise.all([loadFigures(), loadRanking(), loadCalls()]);
  updated.textContent = `${t("updated")} ${new Date().toLocaleTimeString("en-GB")}`;

  // Live: an event redraws the chart at once (it carries the call) and asks for the figures
  // again; reporting applies the event a moment after it is published (longer on a busy
  // machine), so they are asked for a few times over the next seconds, a burst of events
  // coalescing into one schedule.
  let timers = [];
  function refreshSoon() {
    timers.forEach(clearTimeout);
    timers = [600, 2500, 6000, 12000].map((ms) => setTimeout(refresh, ms));
  }
  const stop = liveEvents(
    LIVE_TYPES,
    (event) => {
      const data = event.data || {};
      const eventTeam = data.agent?.team ?? data.team_id;
      if (team && eventTeam && eventTeam !== team) return;
      if ((event.type === "CallPlaced" || event.type === "CallEnded") && data.call_id) {
        if (remember({ ...data })) drawChart();
      }
      refreshSoon();
    },
    (state) => {
      liveBadge.textContent = t(`live.${state}`);
      liveBadge.dataset.state = state;
    },
  );
  ctx.onCleanup(() => {
    stop();
    timers.forEach(clearTimeout);
  });
}
