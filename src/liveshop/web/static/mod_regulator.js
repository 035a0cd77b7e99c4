// The regulator's dashboard (read-only): the audit log by date range with CSV and JSON export
// links, the hash chain's verification, violation statistics, penalties and inspections.
// Dates are the regulator's local days; the API gets their UTC moments.
import { actionLabel, detailsList, referenceNode } from "./audit_details.js";
import { _, api, el, fullDateTime } from "./common.js";
import { Pager } from "./pager.js";

const $ = (id) => document.getElementById(id);
const root = $("regulator-root");
const PAGE = 20;

const KINDS = {
  delete_comment: _("删除评论"), mute: _("禁言"), warning: _("警告"), limit_exposure: _("限流"), stop_room: _("关闭直播间"),
  fine: _("罚款"), suspension: _("暂停"), ban: _("封禁"),
};
const RESULTS = { pending: _("待检"), pass: _("合格"), fail: _("不合格") };
// The verifier's reasons (core/audit/log.py) in the page's words; its English detail is the CLI's.
const CHAIN_PROBLEMS = {
  missing: _("有记录缺失"),
  broken_link: _("与上一条记录的哈希不衔接"),
  changed: _("内容与其哈希不符，记录被改动过"),
  head_missing: _("有记录但缺少链头"),
  truncated: _("日志末尾被截断"),
  unrecorded_prune: _("有记录被删除，且没有清理记录"),
};
const FIGURES = {
  actions: _("审计动作"),
  penalties_by_kind: _("处罚（按类型）"),
  penalties_by_subject: _("处罚（按对象）"),
  inspections_by_result: _("抽检（按结果）"),
};

// The audit log pages on a cursor: cursors[n] is the after_seq of page n + 1.
let cursors = [0];

// A list shows the answer to its latest request only: a slower answer to an earlier one (the
// page's first load, when a range was applied meanwhile) would show another range's rows.
const latest = {};
function ask(list) {
  latest[list] = (latest[list] || 0) + 1;
  const mine = latest[list];
  return () => latest[list] === mine;
}

function showError(error) {
  // in words: never the API's code or its English detail
  $("regulator-error").textContent = error.code === "bad_range" ? _("结束日期不能早于开始日期") : _("查询失败，请稍后再试");
  $("regulator-error").hidden = false;
}

/** The range as query parameters: start of the first day to the start of the day after the last. */
function rangeParams() {
  const params = new URLSearchParams();
  const start = $("range-start").value;
  const end = $("range-end").value;
  if (start) params.set("start", new Date(`${start}T00:00:00`).toISOString());
  if (end) {
    const next = new Date(`${end}T00:00:00`);
    next.setDate(next.getDate() + 1);
    params.set("end", next.toISOString());
  }
  return params;
}

function withParams(path, extra) {
  const params = rangeParams();
  for (const [key, value] of Object.entries(extra)) params.set(key, String(value));
  return `${path}?${params}`;
}

function setExportLinks() {
  for (const name of ["audit", "statistics", "penalties", "inspections"]) {
    for (const format of ["csv", "json"]) {
      const link = $(`export-${name}-${format}`);
      link.href = withParams(`/api/regulator/${name}`, { format, ...(name === "statistics" ? {} : { limit: 10000 }) });
      link.setAttribute("download", `${name}.${format}`);
    }
  }
}

function cells(values) {
  return values.map((value) => (value instanceof Node ? el("td", {}, [value]) : el("td", { text: value ?? "" })));
}

function auditRow(entry) {
  return el("tr", { className: "audit-entry", dataset: { seq: entry.seq } }, [
    ...cells([String(entry.seq), fullDateTime(entry.at), referenceNode(entry.actor), actionLabel(entry.action), referenceNode(entry.subject)]),
    el("td", { className: "audit-details" }, [detailsList(entry.details)]),
    el("td", { className: "hash", text: String(entry.hash).slice(0, 12), attrs: { title: entry.hash } }),
  ]);
}

async function loadAudit(page) {
  if (page === 1) cursors = [0];
  const afterSeq = cursors[page - 1] ?? 0;
  const current = ask("audit");
  const result = await api("GET", withParams("/api/regulator/audit", { after_seq: afterSeq, limit: PAGE }));
  if (!current()) return;
  $("audit").tBodies[0].replaceChildren(...result.entries.map(auditRow));
  if (result.next_after_seq !== null) cursors[page] = result.next_after_seq;
  $("audit-count").textContent = _("共 {count} 条", { count: result.total });
  $("audit-count").dataset.total = String(result.total);
  auditPager.show(page, Math.max(page, Math.ceil(result.total / PAGE)), result.next_after_seq !== null);
}

const auditPager = new Pager($("audit-pager"), (page) => loadAudit(page).catch(showError));

async function loadChain() {
  const report = await api("GET", "/api/regulator/audit/verify");
  const status = $("chain-status");
  status.dataset.ok = String(report.ok);
  if (report.ok) {
    status.className = "chain-ok";
    status.textContent = "✓ " + _("哈希链完整：共 {count} 条（序号 {first} 至 {last}）", { count: report.entries, first: report.first_seq ?? "-", last: report.last_seq ?? "-" });
  } else {
    status.className = "chain-bad";
    const reason = CHAIN_PROBLEMS[report.problem] || _("原因未知");
    status.textContent = "✗ " + _("哈希链异常：第 {seq} 条起（{reason}）", { seq: report.first_bad_seq, reason });
  }
}

async function loadStatistics() {
  const current = ask("statistics");
  const figures = await api("GET", withParams("/api/regulator/statistics", {}));
  if (!current()) return;
  const panels = Object.entries(FIGURES).map(([key, title]) => {
    const counts = Object.entries(figures[key] || {});
    const rows = counts.map(([name, count]) => el("tr", {}, cells([KINDS[name] || RESULTS[name] || actionLabel(name), String(count)])));
    return el("div", { className: "stat-panel", dataset: { figure: key } }, [
      el("h3", { className: "sub-title", text: title }),
      counts.length ? el("table", { className: "data-table" }, [el("tbody", {}, rows)]) : el("p", { className: "muted", text: _("无") }),
    ]);
  });
  $("statistics").replaceChildren(...panels);
}

/** A records table paged on ids: cursors[n] is the after_id of page n + 1; the count is the
 * API's total for the range. */
function recordsPager(name, render) {
  let cursors = [0];
  const load = async (page) => {
    if (page === 1) cursors = [0];
    const afterId = cursors[page - 1] ?? 0;
    const current = ask(name);
    const data = await api("GET", withParams(`/api/regulator/${name}`, { after_id: afterId, limit: PAGE }));
    if (!current()) return;
    const rows = data[name];
    $(name).tBodies[0].replaceChildren(...rows.map(render));
    if (data.next_after_id !== null) cursors[page] = data.next_after_id;
    $(`${name}-count`).textContent = _("共 {count} 条", { count: data.total });
    $(`${name}-count`).dataset.total = String(data.total);
    const pages = Math.max(page, Math.ceil(data.total / PAGE));
    pager.show(page, pages, data.next_after_id !== null && page < pages);
  };
  const pager = new Pager($(`${name}-pager`), (page) => load(page).catch(showError));
  return pager;
}

/** A record's subject by name, its number beside it (an order, or a row since erased, by number). */
/** A record's name as its owner typed it, then its id: nodes to append. */
function named(name, id) {
  return name ? [el("span", { typed: name }), ` (#${id})`] : [`#${id}`];
}

function penaltyRow(p) {
  return el("tr", { className: "penalty-row", dataset: { id: p.id } }, cells([
    String(p.id),
    fullDateTime(p.created_at),
    KINDS[p.kind] || p.kind,
    el("span", {}, [`${p.subject_type === "shop" ? _("店铺") : _("用户")} `, ...named(p.subject_name, p.subject_id)]),
    el("span", { typed: p.rule }),
    String(p.points),
    fullDateTime(p.appeal_deadline),
    p.revoked_at ? _("已撤销 {time}", { time: fullDateTime(p.revoked_at) }) : _("有效"),
  ]));
}

function inspectionRow(item) {
  return el("tr", { className: "inspection-row", dataset: { id: item.id } }, cells([
    String(item.id),
    fullDateTime(item.sampled_at),
    el("span", {}, [`${item.target_type === "order" ? _("订单") : _("商品")} `, ...named(item.target_name, item.target_id)]),
    item.shop_id ? el("span", {}, named(item.shop_name, item.shop_id)) : "",
    RESULTS[item.result] || item.result,
    item.findings,
  ]));
}

const penaltiesPager = recordsPager("penalties", penaltyRow);
const inspectionsPager = recordsPager("inspections", inspectionRow);

async function loadAll() {
  $("regulator-error").hidden = true;
  root.dataset.state = "loading";
  setExportLinks();
  const results = await Promise.allSettled([loadAudit(1), loadStatistics(), penaltiesPager.go(1), inspectionsPager.go(1)]);
  results.push(...(await Promise.allSettled([loadChain()]))); // after the log: its count includes the reads
  for (const result of results) if (result.status === "rejected") showError(result.reason);
  root.dataset.state = "ready";
}

$("range-form").addEventListener("submit", (event) => {
  event.preventDefault();
  loadAll();
});

loadAll();
