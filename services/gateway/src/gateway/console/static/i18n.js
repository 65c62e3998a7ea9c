// Chinese and English labels. The measures' Chinese names are the seeds' (电话行销统计日表 / 周表),
// as the reporting service's XLSX headers spell them.

const LABELS = {
  brand: ["Telemarketing console", "电话行销控制台"],
  "nav.today": ["Today", "今日"],
  "nav.agent": ["Agent", "坐席"],
  "nav.review": ["Review queue", "质检队列"],
  "nav.callbacks": ["Callbacks", "回访"],
  "nav.exports": ["Exports", "报表导出"],
  signout: ["Sign out", "退出"],
  "login.title": ["Sign in", "登录"],
  "login.help": [
    "Paste a bearer token. For development, `python -m gateway dev-tokens --dir var/auth` (or `make run`) prints one per role.",
    "粘贴访问令牌。开发环境下，`python -m gateway dev-tokens --dir var/auth`（或 `make run`）为每个角色打印一个令牌。",
  ],
  "login.token": ["Token", "令牌"],
  "login.submit": ["Sign in", "登录"],
  "login.refused": ["The API refused this token", "接口拒绝了此令牌"],
  "login.expired": ["Your session ended; sign in again", "会话已结束，请重新登录"],
  forbidden: ["Your role may not see this", "您的角色无权查看此内容"],
  "forbidden.roles": ["Signed in as", "当前身份"],
  error: ["The API answered with an error", "接口返回错误"],
  loading: ["Loading…", "加载中…"],
  none: ["Nothing here", "暂无数据"],
  team: ["Team", "班组"],
  agent: ["Agent", "坐席"],
  day: ["Day", "日期"],
  week: ["Week", "周"],
  load: ["Show", "查看"],
  "live.live": ["live", "实时"],
  "live.connecting": ["connecting…", "连接中…"],
  "live.reconnecting": ["reconnecting…", "重新连接…"],
  "live.refused": ["live updates refused", "实时更新被拒绝"],
  updated: ["updated", "更新于"],
  "today.title": ["Today", "今日概况"],
  "today.byhour": ["Dials and successes by hour", "分时段拨打量与成交数"],
  "today.ranking": ["Agents ranked", "坐席排名"],
  "today.bottom": ["Lowest", "末位"],
  "today.allteams": ["all teams", "全部班组"],
  successes: ["Successes", "成交"],
  findings: ["Findings", "违规发现"],
  talk_time: ["Talk time", "通话时长"],
  metric: ["Measure", "指标"],
  rank: ["Rank", "排名"],
  value: ["Value", "数值"],
  "agent.title": ["Agent", "坐席"],
  "agent.tables": ["Daily and weekly tables", "日表与周表"],
  "agent.trend": ["Trend over weeks", "周趋势"],
  "agent.trend.agent": ["this agent", "该坐席"],
  "agent.trend.team": ["team (trend)", "班组（趋势）"],
  "agent.callbacks.overdue": ["Callbacks overdue", "逾期回访"],
  "agent.callbacks.due": ["Callbacks due", "到期回访"],
  "agent.findings": ["Findings", "质检违规"],
  "agent.pick": ["Choose an agent", "请选择坐席"],
  measure: ["Measure", "指标"],
  "review.title": ["Review queue", "质检队列"],
  "review.queue": ["Calls to review", "待检通话"],
  "review.transcript": ["Transcript", "通话文本"],
  "review.findings": ["Findings on this call", "本通话违规"],
  "review.comment": ["Comment", "评语"],
  "review.confirm": ["Confirm", "确认"],
  "review.dismiss": ["Dismiss", "驳回"],
  "review.next": ["Next", "下一条"],
  "review.complete": ["Mark call reviewed", "标记已检"],
  "review.keys": ["Keys: c confirm · d dismiss · n next", "快捷键：c 确认 · d 驳回 · n 下一条"],
  "review.empty": ["The queue is empty", "队列已清空"],
  "review.needcomment": ["A dismissal needs a comment saying why", "驳回需要填写原因"],
  "review.confirmed": ["Confirmed", "已确认"],
  "review.dismissed": ["Dismissed", "已驳回"],
  "review.lost": ["Someone else decided first", "已由他人先行处理"],
  "review.by": ["by", "处理人"],
  "review.fine": ["fine", "罚款"],
  "review.hold": ["hold", "保持"],
  "review.reasons": ["why queued", "入队原因"],
  "review.open": ["open", "待处理"],
  speaker_agent: ["Agent", "坐席"],
  speaker_customer: ["Customer", "客户"],
  "callbacks.title": ["Overdue callbacks", "逾期回访"],
  "callbacks.reassign": ["Reassign", "转派"],
  "callbacks.to": ["to agent", "转给坐席"],
  "callbacks.done": ["Reassigned", "已转派"],
  "callbacks.note": [
    "Reassigning moves the lead to the agent (its open callbacks follow it) and makes the callback due now.",
    "转派会把客户分配给该坐席（其未完成回访随之转移），并将回访改为立即到期。",
  ],
  "exports.title": ["Exports", "报表导出"],
  "exports.daily": ["Daily table (XLSX)", "日表 (XLSX)"],
  "exports.weekly": ["Weekly table (XLSX)", "周表 (XLSX)"],
  "exports.saved": ["Downloaded", "已下载"],
  callback: ["Callback", "回访"],
  lead: ["Lead", "客户"],
  campaign: ["Campaign", "项目"],
  due: ["Due", "到期"],
  reason: ["Reason", "原因"],
  status: ["Status", "状态"],
  rule: ["Rule", "规则"],
  severity: ["Severity", "严重度"],
  evidence: ["Evidence", "证据"],
  call: ["Call", "通话"],
  // Measures (reporting's names).
  dials: ["Dials", "拨打量"],
  blocked_dials: ["Blocked dials", "拦截量"],
  connected: ["Connected", "接通量"],
  connect_rate: ["Connect rate", "接通率"],
  contacts: ["Contacts", "接触客户数"],
  talk_seconds: ["Talk time", "通话时长"],
  avg_talk_seconds: ["Average talk", "平均通话时长"],
  effective_calls: ["Effective calls", "有效通话数"],
  effective_talk_seconds: ["Effective talk time", "有效通话时长"],
  intent: ["Intents", "意向数"],
  intent_rate: ["Intent rate", "意向率"],
  sales: ["Sales", "成交数"],
  voided_sales: ["Voided sales", "作废成交数"],
  conversions: ["Successes", "有效成交数"],
  conversion_rate: ["Conversion rate", "成交率"],
  appointments: ["Appointments", "预约数"],
  callbacks_agreed: ["Callbacks agreed", "约定回访数"],
  callbacks_scheduled: ["Callbacks scheduled", "回访计划数"],
  callbacks_due: ["Callbacks due", "回访到期数"],
  callbacks_done: ["Callbacks done", "回访完成数"],
  callbacks_overdue: ["Callbacks overdue", "回访逾期数"],
  callbacks_cancelled: ["Callbacks cancelled", "回访取消数"],
  violations_found: ["Findings", "违规发现数"],
  violations_confirmed: ["Findings confirmed", "违规确认数"],
  violations_dismissed: ["Findings dismissed", "违规驳回数"],
  fines_agent: ["Agent fines (¥)", "坐席罚款(元)"],
  fines_supervisor: ["Supervisor fines (¥)", "主管罚款(元)"],
  complaint_deductions: ["Complaint deductions (¥)", "投诉扣款(元)"],
  complaints: ["Complaints", "投诉数"],
  dialling_seconds: ["Dialling time", "拨打时长"],
  dialling_norm_seconds: ["Dialling norm", "拨打时长定额"],
  dialling_norm_share: ["Share of norm", "定额占比"],
  over_dialling_norm: ["Over norm", "超出定额"],
};

const KEY = "tm.console.lang";

export function lang() {
  const stored = localStorage.getItem(KEY);
  if (stored === "zh" || stored === "en") return stored;
  return (navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en";
}

export function setLang(value) {
  localStorage.setItem(KEY, value);
  document.documentElement.lang = value === "zh" ? "zh-CN" : "en";
}

/** The label of ``key`` in the chosen language; the key itself when none is known. */
export function t(key) {
  const pair = LABELS[key];
  if (!pair) return key;
  return pair[lang() === "zh" ? 1 : 0];
}

/** Labels of the static page (elements with data-i18n). */
export function translatePage(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
}
