// The daily and weekly tables as XLSX workbooks, one click each: fetched with the token (a
// plain link could not carry it) and saved from the answer as a file.

import { api } from "../api.js";
import { t } from "../i18n.js";
import { centreDay, clear, h, isoWeek } from "../util.js";

function save({ blob, filename }) {
  const link = h("a", { href: URL.createObjectURL(blob), download: filename, hidden: true });
  document.body.append(link);
  link.click();
  setTimeout(() => {
    URL.revokeObjectURL(link.href);
    link.remove();
  }, 1000);
}

export async function render(root, ctx) {
  const day = h("input", { type: "date", id: "export-date", value: centreDay() });
  const week = h("input", { type: "week", id: "export-week", value: isoWeek(centreDay()) });
  const dailyButton = h("button", { type: "button", id: "export-daily" }, t("exports.daily"));
  const weeklyButton = h("button", { type: "button", id: "export-weekly" }, t("exports.weekly"));
  const result = h("div", { id: "export-result" });

  async function download(button, path, params) {
    button.disabled = true;
    clear(result);
    try {
      const file = await api(path, { params: { ...params, format: "xlsx" }, as: "blob" });
      save(file);
      result.append(h("p", { class: "ok" }, `${t("exports.saved")}: ${file.filename}`));
    } catch (error) {
      result.append(ctx.errorPanel(error));
    } finally {
      button.disabled = false;
    }
  }
  dailyButton.addEventListener("click", () => download(dailyButton, "/v1/reports/daily", { date: day.value }));
  weeklyButton.addEventListener("click", () => download(weeklyButton, "/v1/reports/weekly", { week: week.value }));

  clear(root).append(
    h("div", { class: "toolbar" }, h("h1", {}, t("exports.title"))),
    h(
      "section",
      { class: "panel exports" },
      h("div", { class: "row" }, h("label", {}, t("day"), " ", day), dailyButton),
      h("div", { class: "row" }, h("label", {}, t("week"), " ", week), weeklyButton),
      result,
    ),
  );
}
