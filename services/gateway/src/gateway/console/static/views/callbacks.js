// Overdue callbacks across the team, each reassigned in one action: the lead goes to the chosen
// agent (POST /v1/leads/{id}/assign, reassign: scheduling moves the lead's open callbacks with
// it) and the callback is made due now (POST /v1/callbacks/{id}/reschedule), so it reaches the
// new agent's list at once. The reschedule route has no agent field: ownership follows the lead.

import { ApiError, api } from "../api.js";
import { t } from "../i18n.js";
import { centreDay, centreTime, clear, h } from "../util.js";

export async function render(root, ctx) {
  const team = ctx.params.get("team") || ctx.claims.team || "";
  const teamInput = h("input", { type: "text", id: "callbacks-team", value: team, size: 8, placeholder: t("today.allteams") });
  const go = h("button", { type: "button", class: "ghost" }, t("load"));
  go.addEventListener("click", () => ctx.navigate(`#/callbacks?team=${encodeURIComponent(teamInput.value.trim())}`));
  const body = h("tbody");
  const agents = h("datalist", { id: "team-agents" });
  clear(root).append(
    h("div", { class: "toolbar" }, h("h1", {}, t("callbacks.title")), h("label", {}, t("team"), " ", teamInput), go),
    h("p", { class: "muted" }, t("callbacks.note")),
    agents,
    h(
      "section",
      { class: "panel" },
      h(
        "table",
        { class: "compact", id: "overdue-callbacks" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            [t("callback"), t("lead"), t("agent"), t("team"), t("campaign"), t("due"), t("reason"), t("callbacks.to"), ""].map((l) => h("th", {}, l)),
          ),
        ),
        body,
      ),
    ),
  );

  // The team's agents, to choose from: those in today's table and those owning callbacks.
  const [page, daily] = await Promise.all([
    api("/v1/callbacks", { params: { status: "overdue", team_id: team, limit: 200 } }),
    api("/v1/reports/daily", { params: { date: centreDay(), group_by: "agent" } }).catch((error) =>
      error instanceof ApiError && error.status === 403 ? { rows: [] } : Promise.reject(error),
    ),
  ]);
  const names = new Set(daily.rows.filter((r) => !team || r.team_id === team).map((r) => r.agent_id));
  page.items.forEach((c) => c.agent_id && names.add(c.agent_id));
  agents.append(...[...names].sort().map((a) => h("option", { value: a })));

  if (!page.items.length) body.append(h("tr", {}, h("td", { colspan: 9, class: "muted" }, t("none"))));
  for (const cb of page.items) {
    const to = h("input", { type: "text", list: "team-agents", size: 8, dataset: { callback: cb.callback_id } });
    const button = h("button", { type: "button", dataset: { callback: cb.callback_id } }, t("callbacks.reassign"));
    const outcome = h("td", { class: "muted" });
    const row = h(
      "tr",
      { dataset: { callback: cb.callback_id } },
      h("td", {}, cb.callback_id),
      h("td", {}, cb.lead_id),
      h("td", { class: "owner" }, cb.agent_id ?? ""),
      h("td", {}, cb.team_id ?? ""),
      h("td", {}, cb.campaign_id ?? ""),
      h("td", { class: "overdue" }, centreTime(cb.due_at)),
      h("td", {}, cb.reason),
      h("td", {}, to, " ", button),
      outcome,
    );
    button.addEventListener("click", async () => {
      const agent = to.value.trim();
      if (!agent) {
        to.focus();
        return;
      }
      button.disabled = true;
      try {
        await api(`/v1/leads/${encodeURIComponent(cb.lead_id)}/assign`, {
          method: "POST",
          body: { action: "reassign", agent_id: agent, team_id: cb.team_id || team || null },
        });
        const moved = await api(`/v1/callbacks/${encodeURIComponent(cb.callback_id)}/reschedule`, {
          method: "POST",
          body: {
            due_at: new Date(Date.now() + 60_000).toISOString(),
            exact: false,
            note: `reassigned to ${agent} by ${ctx.claims.sub}`,
          },
        });
        row.classList.add("done");
        outcome.textContent = `${t("callbacks.done")} → ${agent} · ${t("due")} ${centreTime(moved.due_at)}`;
        ctx.toast(`${cb.callback_id} → ${agent}`);
      } catch (error) {
        button.disabled = false;
        clear(outcome).append(h("span", { class: "error" }, error.message));
      }
    });
    body.append(row);
  }
}
