// The QA review queue: the queued calls on the left; the call's transcript with each finding's
// evidence marked in place; confirm (c) or dismiss (d, with a comment) the current finding, or
// go to the next (n). When a call has no open finding left, the next call loads by itself. When
// another inspector decided a finding first, the API answers 409 and the page shows who won.

import { ApiError, api } from "../api.js";
import { t } from "../i18n.js";
import { centreTime, clear, h } from "../util.js";

/** ``text`` with the [start, end) spans marked, each mark naming its findings. */
function markedText(text, spans) {
  const cuts = [...spans].filter((s) => s.span).sort((a, b) => a.span[0] - b.span[0]);
  const parts = [];
  let at = 0;
  for (const s of cuts) {
    const [start, end] = s.span;
    if (start < at) {
      // Overlapping evidence: the earlier mark carries this finding too.
      const last = parts[parts.length - 1];
      if (last instanceof Element) last.dataset.violations += " " + s.id;
      continue;
    }
    if (start > at) parts.push(text.slice(at, start));
    parts.push(h("mark", { class: "evidence", dataset: { violations: s.id }, title: s.rule }, text.slice(start, end)));
    at = end;
  }
  if (at < text.length) parts.push(text.slice(at));
  return parts;
}

export async function render(root, ctx) {
  const reviewer = ctx.claims.sub;
  const state = { queue: [], callId: null, findings: [], index: -1, transcript: null, skipped: new Set() };

  const queueList = h("ol", { class: "queue", id: "queue" });
  const queueCount = h("span", { class: "muted" });
  const callHeader = h("div", { class: "call-header", id: "call-header" });
  const transcriptBox = h("div", { class: "transcript", id: "transcript" });
  const findingsBox = h("div", { id: "findings" });
  const banner = h("div", { id: "review-banner", role: "status" });
  const comment = h("textarea", { id: "review-comment", rows: 3, placeholder: t("review.comment") });
  const confirmButton = h("button", { type: "button", id: "confirm" }, `${t("review.confirm")} (c)`);
  const dismissButton = h("button", { type: "button", id: "dismiss", class: "danger" }, `${t("review.dismiss")} (d)`);
  const nextButton = h("button", { type: "button", id: "next", class: "ghost" }, `${t("review.next")} (n)`);
  const completeButton = h("button", { type: "button", id: "complete", class: "ghost" }, t("review.complete"));

  clear(root).append(
    h("div", { class: "toolbar" }, h("h1", {}, t("review.title")), h("span", { class: "muted" }, t("review.keys"))),
    h(
      "div",
      { class: "review" },
      h("aside", { class: "panel" }, h("h2", {}, t("review.queue"), " ", queueCount), queueList),
      h("section", { class: "panel" }, callHeader, h("h2", {}, t("review.transcript")), transcriptBox),
      h(
        "section",
        { class: "panel" },
        h("h2", {}, t("review.findings")),
        findingsBox,
        banner,
        h("label", { for: "review-comment" }, t("review.comment")),
        comment,
        h("div", { class: "row" }, confirmButton, dismissButton, nextButton),
        h("div", { class: "row" }, completeButton),
      ),
    ),
  );

  function say(message, kind = "info") {
    clear(banner).append(h("p", { class: kind }, message));
  }

  function current() {
    return state.findings[state.index] || null;
  }

  function drawQueue() {
    queueCount.textContent = `(${state.queue.length})`;
    clear(queueList).append(
      ...state.queue.map((item) =>
        h(
          "li",
          { class: item.call_id === state.callId ? "active" : "", dataset: { call: item.call_id } },
          h("button", { type: "button", class: "link", onclick: () => loadCall(item.call_id) }, item.call_id),
          h("span", { class: "muted" }, ` ${item.agent_id} · ${item.day ?? ""} · ${item.reasons.join(", ")}`),
          item.open_findings ? h("span", { class: "badge" }, `${item.open_findings} ${t("review.open")}`) : null,
        ),
      ),
    );
    if (!state.queue.length) queueList.append(h("li", { class: "muted" }, t("review.empty")));
  }

  function drawTranscript() {
    const turns = state.transcript && state.transcript.length ? state.transcript : null;
    const byTurn = new Map();
    for (const f of state.findings) {
      if (!f.highlight) continue;
      const list = byTurn.get(f.highlight.turn) || [];
      list.push(f);
      byTurn.set(f.highlight.turn, list);
    }
    // Without the calls service's transcript, the turns QA quoted are still shown.
    const indices = turns ? turns.map((_, i) => i) : [...byTurn.keys()].sort((a, b) => a - b);
    clear(transcriptBox);
    for (const i of indices) {
      const turn = turns ? turns[i] : null;
      const found = byTurn.get(i) || [];
      const quoted = found.find((f) => f.highlight && !f.highlight.hold)?.highlight;
      const hold = (turn && turn.hold) || found.some((f) => f.highlight?.hold);
      const speaker = turn?.speaker || quoted?.speaker;
      const start = turn?.start_s ?? quoted?.start_s;
      let body;
      if (hold) {
        body = h("span", { class: "hold" }, `⏸ ${t("review.hold")} ${turn?.start_s ?? ""}–${turn?.end_s ?? ""} s`);
        if (found.length) body = h("mark", { class: "evidence", dataset: { violations: found.map((f) => f.violation_id).join(" ") } }, body);
      } else {
        // QA's own text of the turn (masked as QA keeps it) carries the spans.
        const text = quoted ? quoted.text : turn?.text ?? "";
        body = markedText(text, found.filter((f) => f.highlight?.span).map((f) => ({ id: f.violation_id, rule: f.rule, span: f.highlight.span })));
      }
      transcriptBox.append(
        h(
          "div",
          { class: `turn ${speaker || ""}`, dataset: { turn: i } },
          h("span", { class: "who" }, speaker ? t(`speaker_${speaker}`) : "", start !== undefined ? ` ${Number(start).toFixed(0)}s` : ""),
          h("span", { class: "text" }, body),
        ),
      );
    }
    if (!indices.length) transcriptBox.append(h("p", { class: "muted" }, t("none")));
  }

  function drawFindings() {
    clear(findingsBox);
    state.findings.forEach((f, i) => {
      const decided = f.status !== "open" ? ` · ${t(`review.${f.status}`)} ${t("review.by")} ${f.reviewer}` : "";
      findingsBox.append(
        h(
          "button",
          {
            type: "button",
            class: `finding ${f.status} ${i === state.index ? "current" : ""}`,
            dataset: { violation: f.violation_id },
            onclick: () => select(i),
          },
          h("strong", {}, f.rule),
          ` ${f.title ?? ""}`,
          h("div", { class: "muted" }, `${f.severity} · ${t("review.fine")} ¥${f.fine_agent}/${f.fine_supervisor}${decided}`),
          f.reason ? h("div", { class: "muted" }, f.reason) : null,
        ),
      );
    });
    if (!state.findings.length) findingsBox.append(h("p", { class: "muted" }, t("none")));
    for (const mark of transcriptBox.querySelectorAll("mark.evidence")) {
      mark.classList.toggle("current", Boolean(current() && mark.dataset.violations.split(" ").includes(current().violation_id)));
    }
    const open = current() && current().status === "open";
    confirmButton.disabled = dismissButton.disabled = !open;
  }

  async function select(i) {
    state.index = i;
    const f = current();
    if (f) {
      // The finding as it stands now, with its evidence (another inspector may have decided it).
      try {
        const fresh = await api(`/v1/violations/${encodeURIComponent(f.violation_id)}`);
        state.findings[i] = { ...f, ...fresh };
      } catch (error) {
        say(error.message, "error");
      }
    }
    drawFindings();
    transcriptBox.querySelector("mark.current")?.scrollIntoView({ block: "center" });
  }

  async function loadQueue() {
    const page = await api("/v1/qa/review-queue", { params: { status: "pending", limit: 100 } });
    state.queue = page.items;
    drawQueue();
  }

  async function loadCall(callId) {
    state.callId = callId;
    clear(banner);
    comment.value = "";
    const [findings, call] = await Promise.all([
      api(`/v1/qa/calls/${encodeURIComponent(callId)}`),
      api(`/v1/calls/${encodeURIComponent(callId)}`).catch((error) => (error instanceof ApiError && error.status === 404 ? null : Promise.reject(error))),
    ]);
    state.findings = findings.findings;
    state.transcript = call?.transcript || null;
    clear(callHeader).append(
      h("h2", {}, `${t("call")} ${callId}`),
      h("p", { class: "muted" }, `${t("agent")} ${findings.agent_id ?? ""} · ${t("team")} ${findings.team_id ?? ""} · ${findings.day ?? ""} · ${findings.disposition ?? ""}${call?.placed_at ? " · " + centreTime(call.placed_at) : ""}`),
    );
    drawQueue();
    drawTranscript();
    const firstOpen = state.findings.findIndex((f) => f.status === "open");
    await select(firstOpen >= 0 ? firstOpen : state.findings.length ? 0 : -1);
  }

  /** The next open finding of this call, or else the next queued call. */
  async function next() {
    const after = state.findings.findIndex((f, i) => i > state.index && f.status === "open");
    const before = state.findings.findIndex((f, i) => i <= state.index && f.status === "open" && i !== state.index);
    const target = after >= 0 ? after : before;
    if (target >= 0) {
      await select(target);
      return;
    }
    if (state.callId) state.skipped.add(state.callId);
    await loadQueue();
    const following = state.queue.find((item) => !state.skipped.has(item.call_id)) || null;
    if (following) await loadCall(following.call_id);
    else {
      state.callId = null;
      state.findings = [];
      state.index = -1;
      state.transcript = null;
      clear(callHeader);
      clear(transcriptBox).append(h("p", { class: "muted" }, t("review.empty")));
      drawFindings();
      drawQueue();
    }
  }

  async function decide(action) {
    const f = current();
    if (!f || f.status !== "open") return;
    const text = comment.value.trim();
    if (action === "dismiss" && !text) {
      say(t("review.needcomment"), "error");
      comment.focus();
      return;
    }
    try {
      const decided = await api(`/v1/violations/${encodeURIComponent(f.violation_id)}/${action}`, {
        method: "POST",
        body: { reviewer, comment: text || null },
      });
      state.findings[state.index] = { ...f, ...decided };
      loadQueue().catch(() => {}); // its counts of open findings
      const fine = action === "confirm" ? ` · ${t("review.fine")} ¥${decided.fine_agent} / ¥${decided.fine_supervisor}` : "";
      ctx.toast(`${f.rule} ${t(`review.${decided.status}`)}${fine}`);
      comment.value = "";
      await next();
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        // Another inspector was first: show whose decision stands.
        const winner = await api(`/v1/violations/${encodeURIComponent(f.violation_id)}`);
        state.findings[state.index] = { ...f, ...winner };
        drawFindings();
        loadQueue().catch(() => {});
        say(
          `${t("review.lost")}: ${f.rule} ${t(`review.${winner.status}`)} ${t("review.by")} ${winner.reviewer} · ${centreTime(winner.reviewed_at)}${winner.comment ? " · “" + winner.comment + "”" : ""}`,
          "conflict",
        );
        return;
      }
      say(error.message, "error");
    }
  }

  confirmButton.addEventListener("click", () => decide("confirm"));
  dismissButton.addEventListener("click", () => decide("dismiss"));
  nextButton.addEventListener("click", () => next());
  completeButton.addEventListener("click", async () => {
    if (!state.callId) return;
    try {
      await api(`/v1/qa/review-queue/${encodeURIComponent(state.callId)}/complete`, {
        method: "POST",
        body: { reviewer, comment: comment.value.trim() || null },
      });
      await next();
    } catch (error) {
      say(error.message, "error");
    }
  });

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const typing = ["TEXTAREA", "INPUT", "SELECT"].includes(event.target.tagName);
    if (typing) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    const key = event.key.toLowerCase();
    if (key === "c") decide("confirm");
    else if (key === "d") decide("dismiss");
    else if (key === "n") next();
    else return;
    event.preventDefault();
  }
  document.addEventListener("keydown", onKey);
  ctx.onCleanup(() => document.removeEventListener("keydown", onKey));

  await loadQueue();
  const first = ctx.params.get("call") || state.queue[0]?.call_id;
  if (first) await loadCall(first);
  else {
    transcriptBox.append(h("p", { class: "muted" }, t("review.empty")));
    drawFindings();
  }
}
