// One agent: its row of the daily and weekly tables, its weekly trend beside its team's (the
// trend route), its callbacks overdue and due, its QA findings.

import { api } from "../api.js";
import { periodLines } from "../charts.js";
import { t } from "../i18n.js";
import { centreDay, centreTime, clear, fmtMeasure, h, isoWeek, mondayOf } from "../util.js";

const MEASURES = [
  "dials", "connected", "connect_rate", "talk_seconds", "avg_talk_seconds", "effective_calls",
  "effective_talk_seconds", "intent", "intent_rate", "sales", "conversions", "conversion_rate", "appointments",
  "callbacks_agreed", "callbacks_done", "callbacks_overdue", "violations_found", "violations_confirmed",
  "fines_agent", "complaints", "blocked_dials", "dialling_seconds", "dialling_norm_share", "over_dialling_norm",
];
const TREND_METRICS = ["dials", "connect_rate", "conversion_rate", "conversions", "talk_seconds"];
const WEEKS = 8;

function table(id, columns, rows, cell) {
  return h(
    "table",
    { class: "compact", id },
    h("thead", {}, h("tr", {}, columns.map(([, label, num]) => h("th", { class: num ? "num" : "" }, label)))),
    h(
      "tbody",
      {},
      rows.length
        ? rows.map((row) => h("tr", {}, columns.map(([key, , num]) => h("td", { class: num ? "num" : "" }, cell(row, key)))))
        : h("tr", {}, h("td", { colspan: columns.length, class: "muted" }, t("none"))),
    ),
  );
}

export async function render(root, ctx) {
  const day = ctx.params.get("date") || centreDay();
  const week = isoWeek(day);
  const agentId = ctx.params.get("id") || (ctx.claims.roles.includes("agent") ? ctx.claims.sub : "");
  const input = h("input", { type: "text", id: "agent-id", value: agentId, size: 10, placeholder: t("agent.pick") });
  const go = h("button", { type: "button", class: "ghost" }, t("load"));
  const open = () => ctx.navigate(`#/agent?id=${encodeURIComponent(input.value.trim())}&date=${day}`);
  go.addEventListener("click", open);
  input.addEventListener("keydown", (e) => e.key === "Enter" && open());
  const header = h("div", { class: "toolbar" }, h("h1", {}, `${t("agent.title")} ${agentId}`), input, go, h("span", { class: "muted" }, `${day} · ${week}`));
  clear(root).append(header);
  if (!agentId) {
    root.append(h("p", { class: "muted" }, t("agent.pick")));
    return;
  }

  const failures = h("div");
  const tables = h("section", { class: "panel" }, h("h2", {}, t("agent.tables")));
  const trendBox = h("div", { class: "chart", id: "trend-chart" });
  const metric = h("select", { id: "trend-metric" }, TREND_METRICS.map((m) => h("option", { value: m }, t(m))));
  const trendPanel = h("section", { class: "panel wide" }, h("div", { class: "row" }, h("h2", {}, t("agent.trend")), metric), trendBox);
  const callbacksPanel = h("section", { class: "panel" });
  const findingsPanel = h("section", { class: "panel wide" }, h("h2", {}, t("agent.findings")));
  root.append(failures, h("div", { class: "columns" }, trendPanel, tables), h("div", { class: "columns" }, findingsPanel, callbacksPanel));

  const guard = (promise) => promise.catch((error) => failures.append(ctx.errorPanel(error)));

  // The daily and weekly tables: the agent's rows, one measure a line.
  const tablesDone = guard(
    Promise.all([
      api("/v1/reports/daily", { params: { date: day, group_by: "agent" } }),
      api("/v1/reports/weekly", { params: { week, group_by: "agent" } }),
    ]).then(([daily, weekly]) => {
      const today = daily.rows.find((r) => r.agent_id === agentId) || {};
      const thisWeek = weekly.rows.find((r) => r.agent_id === agentId) || {};
      const rows = MEASURES.map((m) => ({ m, today: today[m], week: thisWeek[m] }));
      tables.append(
        table("agent-tables", [["label", t("measure")], ["today", day, true], ["week", week, true]], rows, (row, key) =>
          key === "label" ? t(row.m) : row[key] === undefined ? "–" : fmtMeasure(row.m, row[key]),
        ),
      );
      return today.team_id || thisWeek.team_id || ctx.claims.team;
    }),
  );

  // The trend: the agent's weekly figure (its rows of the last weekly tables) and its team's
  // (the trend route, by week), each on its own scale.
  let trendChart = null;
  async function drawTrend(team) {
    const mondays = Array.from({ length: WEEKS }, (_, i) => mondayOf(day, i - WEEKS + 1));
    const weeks = mondays.map(isoWeek);
    const [tables_, teamTrend] = await Promise.all([
      Promise.all(weeks.map((w) => api("/v1/reports/weekly", { params: { week: w, group_by: "agent" } }))),
      api("/v1/reports/trend", { params: { metric: metric.value, from: mondays[0], to: day, by: "week", team } }),
    ]);
    const mine = tables_.map((w) => w.rows.find((r) => r.agent_id === agentId)?.[metric.value] ?? null);
    const theirs = teamTrend.points.map((p) => p.value);
    const rate = metric.value.endsWith("_rate");
    const format = (v) => fmtMeasure(metric.value, v);
    if (trendChart) trendChart.destroy();
    clear(trendBox);
    trendChart = periodLines(trendBox, weeks.map((w) => w.slice(5)), [
      { label: `${agentId} (${t("agent.trend.agent")})`, values: mine, scale: rate ? "rate" : "agent", format },
      { label: `${team || ""} ${t("agent.trend.team")}`, values: theirs, scale: rate ? "rate" : "team", format },
    ]);
  }
  ctx.onCleanup(() => trendChart && trendChart.destroy());
  const teamKnown = tablesDone.then((team) => {
    metric.addEventListener("change", () => guard(drawTrend(team)));
    return guard(drawTrend(team));
  });

  // Callbacks overdue and due.
  const callbackColumns = [
    ["callback_id", t("callback")], ["lead_id", t("lead")], ["campaign_id", t("campaign")], ["local_due", t("due")],
    ["reason", t("reason")], ["status", t("status")],
  ];
  const callbackCell = (row, key) => (key === "local_due" ? centreTime(row.due_at) : row[key] ?? "");
  const callbacksDone = guard(
    Promise.all([
      api("/v1/callbacks", { params: { agent_id: agentId, status: "overdue", limit: 100 } }),
      api("/v1/callbacks", { params: { agent_id: agentId, status: "due", limit: 100 } }),
    ]).then(([overdue, due]) => {
      callbacksPanel.append(
        h("h2", {}, `${t("agent.callbacks.overdue")} (${overdue.items.length})`),
        table("callbacks-overdue", callbackColumns, overdue.items, callbackCell),
        h("h2", {}, `${t("agent.callbacks.due")} (${due.items.length})`),
        table("callbacks-due", callbackColumns, due.items, callbackCell),
      );
    }),
  );

  // Findings.
  const findingsDone = guard(
    api("/v1/violations", { params: { agent_id: agentId, limit: 50 } }).then((page) => {
      const columns = [
        ["day", t("day")], ["rule", t("rule")], ["title", ""], ["severity", t("severity")], ["status", t("status")],
        ["evidence", t("evidence")], ["fine_agent", t("fines_agent"), true],
      ];
      findingsPanel.append(
        h("p", { class: "muted" }, Object.entries(page.by_status || {}).map(([k, v]) => `${k}: ${v}`).join(" · ")),
        table("agent-findings", columns, page.items, (row, key) => row[key] ?? ""),
      );
    }),
  );
  await Promise.all([tablesDone, teamKnown, callbacksDone, findingsDone]);
}
