// The merchant dashboard: live room counters from the room's real-time frames, the
// session report with Plotly charts, top products, the funnel and customer segments.
// Every figure and label from the server reaches the page through textContent (or as
// plain numbers and ids to Plotly); nothing is inserted as HTML.
import { localisedConfig } from "./chart_locale.js";
import { LOCALE, _, api, el, formatCount, formatPrice } from "./common.js";
import { LiveConnection, pageTransport, showConnection } from "./live.js";
import { Pager } from "./pager.js";
import { ROOM_STATUS_LABELS, fetchRooms, roomTime, statusTag, whenTyped } from "./room_picker.js";

const REPORT_REFRESH_MS = 30000;
const FUNNEL_STEPS = ["view", "product_click", "cart", "purchase"];
const STEP_LABELS = { view: _("观看"), product_click: _("点击"), cart: _("加购"), purchase: _("购买") };
// The analytics API's words for a segment (segments.WORDS) and the RFM map (profiles.RFM_SEGMENTS)
const SEGMENT_WORDS = {
  lapsing: _("久未购买"), "recently active": _("近期活跃"), "frequent buyers": _("常购"), "rare buyers": _("少购"),
  "high value": _("高消费"), "low value": _("低消费"), "coupon-driven": _("爱用券"), "pays full price": _("原价购买"),
  "evening viewers": _("晚间观看"), "daytime viewers": _("白天观看"), "highly engaged": _("互动多"),
  "quiet watchers": _("安静观看"), typical: _("普通"),
};
const RFM_NAMES = {
  hibernating: _("沉睡"), "at risk": _("有流失风险"), "can't lose them": _("不能流失"), "about to sleep": _("即将沉睡"),
  "need attention": _("需要关注"), "loyal customers": _("忠诚顾客"), promising: _("有潜力"), "new customers": _("新顾客"),
  "potential loyalists": _("潜在忠诚"), champions: _("核心顾客"),
};

function segmentWords(description) {
  return description.split(", ").map((word) => SEGMENT_WORDS[word] || word).join(_("、"));
}
const CHART_CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["sendDataToCloud"] };
const LAYOUT = { margin: { l: 50, r: 20, t: 10, b: 40 }, height: 300, font: { size: 12 } };

const root = document.getElementById("dashboard");
const $ = (id) => document.getElementById(id);

/** Minor units as yuan without the symbol (the column says 元): "1,259.80" in either language. */
function yuan(minor) {
  return formatPrice(minor).replace(/[^\d.,\-]/g, "");
}

function percent(fraction) {
  return `${(Number(fraction || 0) * 100).toFixed(1)}%`;
}

function setText(id, value) {
  const node = $(id);
  if (node) node.textContent = String(value);
}

/** Plotly (4.8 MB, served from the installed package) is fetched once, after the page
 * has loaded, so the page and its live counters never wait for it. */
let plotlyPromise = null;
function plotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotlyPromise) {
    plotlyPromise = new Promise((resolve, reject) => {
      const inject = () => {
        const script = document.createElement("script");
        script.src = root.dataset.plotlySrc;
        script.onload = () => (window.Plotly ? resolve(window.Plotly) : reject(new Error("Plotly missing")));
        script.onerror = () => reject(new Error("plotly.min.js did not load"));
        document.head.append(script);
      };
      if (document.readyState === "complete") inject();
      else window.addEventListener("load", inject, { once: true });
    });
  }
  return plotlyPromise;
}

async function draw(id, traces, layout = {}) {
  const node = $(id);
  if (!node) return;
  const Plotly = await plotly();
  await Plotly.react(node, traces, { ...LAYOUT, ...layout }, localisedConfig(Plotly, CHART_CONFIG));
  node.dataset.rendered = "true";
}

function showEmpty(id, empty) {
  const node = $(id);
  if (node) node.hidden = !empty;
}

/** A cell is el()'s options; `code` is an identifier shown as such (a customer's anonymous id). */
function fillRows(tbody, rows) {
  const cell = (options) => el("td", options, options.code ? [el("code", { text: options.code })] : []);
  tbody.replaceChildren(...rows.map((cells) => el("tr", {}, cells.map(cell))));
}

/** Each figure also as text beside its chart: read aloud, and the same numbers as the API's. */
function figureList(id, rows) {
  const list = $(id);
  if (!list) return;
  list.replaceChildren(
    ...rows.map(([key, label, value]) =>
      el("li", { dataset: { key } }, [el("span", { className: "figure-label", text: `${label} ` }), el("b", { text: formatCount(value) })]),
    ),
  );
}

async function drawFunnel(steps) {
  const users = steps.map((step) => step.users);
  showEmpty("funnel-empty", !users.some((count) => count > 0));
  figureList("funnel-steps", steps.map((step) => [step.step, STEP_LABELS[step.step] || step.step, step.users]));
  await draw(
    "chart-funnel",
    [
      {
        type: "funnel",
        y: steps.map((step) => STEP_LABELS[step.step] || step.step),
        x: users,
        textinfo: "value+percent initial",
        marker: { color: "#fe2c55" },
      },
    ],
    { margin: { l: 70, r: 20, t: 10, b: 30 } },
  );
}

function windowQuery() {
  const query = new URLSearchParams();
  const start = $("window-start") && $("window-start").value;
  const end = $("window-end") && $("window-end").value;
  if (start) query.set("start", start);
  if (end) query.set("end", end);
  return query;
}

// --- one room: live counters and the session report ---

function roomView() {
  const roomId = Number(root.dataset.roomId);
  let comments = 0;

  function applyCounters(message) {
    if (typeof message.viewers === "number") setText("live-viewers", formatCount(message.viewers));
    if (typeof message.likes === "number") setText("live-likes", formatCount(message.likes));
    if (message.status && ROOM_STATUS_LABELS[message.status]) {
      setText("live-status", ROOM_STATUS_LABELS[message.status]);
      $("live-status").dataset.status = message.status;
    }
  }

  const connection = new LiveConnection(roomId, {
    transport: pageTransport(),
    uncounted: true, // the room's figures are its audience's, not this page's
    onMessage: (message) => {
      if (message.type === "snapshot") applyCounters(message);
      if (message.type === "frame") {
        applyCounters(message);
        for (const comment of message.comments || []) comments += Number(comment.count) || 1;
        setText("live-comments", formatCount(comments));
      }
    },
    onState: (state, transport) => showConnection($("conn"), state, transport),
  });
  connection.start();

  async function loadReport() {
    try {
      const report = await api("GET", `/api/analytics/rooms/${roomId}/report`);
      $("report-error").hidden = true;
      showReport(report);
      const funnel = await api("GET", `/api/analytics/funnel?steps=${FUNNEL_STEPS.join(",")}&room_id=${roomId}`);
      await drawFunnel(funnel.steps);
      setText("report-updated", _("更新于 {time}", { time: new Date().toLocaleTimeString(LOCALE) }));
    } catch (error) {
      $("report-error").hidden = false;
      $("report-error").textContent = error.status === 403 ? _("你不能查看这场直播的报告") : _("报告暂时加载不了，请稍后再试");
    }
  }

  const refresh = $("report-refresh");
  refresh.addEventListener("click", async () => {
    refresh.disabled = true;
    await loadReport();
    refresh.disabled = false;
  });
  loadReport().then(() => {
    refresh.disabled = false;
  });
  setInterval(loadReport, REPORT_REFRESH_MS);
}

function showReport(report) {
  setText("kpi-gmv", yuan(report.gmv_minor_units));
  setText("kpi-orders", formatCount(report.orders));
  setText("kpi-buyers", formatCount(report.buyers));
  setText("kpi-unique_viewers", formatCount(report.unique_viewers));
  setText("kpi-conversion", percent(report.conversion));
  setText("kpi-gpm", yuan(Math.round(report.gpm_minor_units)));
  setText("kpi-peak_concurrent_viewers", formatCount(report.peak_concurrent_viewers));
  setText("kpi-average_watch_seconds", Math.round(report.average_watch_seconds));
  setText("kpi-comments", formatCount(report.comments));
  setText("kpi-likes", formatCount(report.likes));
  setText("kpi-gifts", formatCount(report.gifts));

  const minutes = report.timeline.map((point) => point.minute);
  showEmpty("timeline-empty", minutes.length === 0);
  draw(
    "chart-timeline",
    [
      { type: "scatter", mode: "lines+markers", name: _("观众"), x: minutes, y: report.timeline.map((p) => p.viewers) },
      { type: "scatter", mode: "lines+markers", name: _("评论"), x: minutes, y: report.timeline.map((p) => p.comments) },
      {
        type: "bar",
        name: _("成交额（元）"),
        x: minutes,
        y: report.timeline.map((p) => p.gmv_minor_units / 100),
        yaxis: "y2",
        opacity: 0.5,
        marker: { color: "#fe2c55" },
      },
    ],
    {
      yaxis: { title: { text: _("人数") }, rangemode: "tozero" },
      yaxis2: { title: { text: _("元") }, overlaying: "y", side: "right", rangemode: "tozero" },
      legend: { orientation: "h", y: -0.2 },
      margin: { l: 50, r: 50, t: 10, b: 60 },
    },
  );

  const products = report.products;
  showEmpty("products-empty", products.length === 0);
  const labels = products.map((line) => line.title);
  draw(
    "chart-products",
    [
      // offsetgroups keep the bars side by side although GMV has its own axis
      { type: "bar", name: _("卡片点击"), x: labels, y: products.map((line) => line.card_clicks), offsetgroup: "1" },
      { type: "bar", name: _("订单"), x: labels, y: products.map((line) => line.orders), offsetgroup: "2" },
      {
        type: "bar",
        name: _("成交额（元）"),
        x: labels,
        y: products.map((line) => line.gmv_minor_units / 100),
        yaxis: "y2",
        offsetgroup: "3",
      },
    ],
    {
      barmode: "group",
      xaxis: { type: "category" },
      yaxis: { rangemode: "tozero" },
      yaxis2: { overlaying: "y", side: "right", rangemode: "tozero" },
      legend: { orientation: "h", y: -0.2 },
      margin: { l: 40, r: 50, t: 10, b: 60 },
    },
  );
  fillRows(
    $("product-table").tBodies[0],
    products.map((line) => [
      { typed: line.title },
      { text: formatCount(line.card_clicks), className: "num" },
      { text: percent(line.click_through), className: "num" },
      { text: formatCount(line.orders), className: "num" },
      { text: yuan(line.gmv_minor_units), className: "num" },
    ]),
  );
}

// --- the overview: the caller's rooms by title, top products, funnel, segments ---

const ROOMS_PER_PAGE = 10;

function roomLine(room) {
  const link = el("a", { typed: room.title, attrs: { href: `/dashboard/rooms/${room.id}` } });
  return el("li", { className: "room-line", dataset: { roomId: room.id, status: room.status } }, [
    link,
    statusTag(room.status),
    el("span", { className: "muted", text: roomTime(room) }),
  ]);
}

function roomList() {
  let query = "";
  const pager = new Pager($("rooms-pager"), async (page) => {
    const result = await fetchRooms({ q: query, page, perPage: ROOMS_PER_PAGE });
    if (!result.rooms.length && page > result.pages) return pager.go(result.pages);
    $("room-list").replaceChildren(...result.rooms.map(roomLine));
    showEmpty("rooms-empty", result.total === 0);
    pager.show(result.page, result.pages);
  });
  whenTyped($("room-search"), (text) => {
    query = text;
    pager.go(1).catch(() => {});
  });
  pager.go(1).catch(() => showEmpty("rooms-empty", true));
}

function overview() {
  async function loadTopProducts() {
    const query = windowQuery();
    query.set("event_type", $("top-event-type").value);
    query.set("top", "10");
    const rows = await api("GET", `/api/analytics/top-products?${query}`);
    showEmpty("top-empty", rows.length === 0);
    figureList("top-products", rows.map((row) => [row.product_id, row.title, row.count]));
    await draw(
      "chart-top-products",
      [{ type: "bar", x: rows.map((row) => row.title), y: rows.map((row) => row.count), marker: { color: "#ff7a1a" } }],
      { xaxis: { type: "category" }, yaxis: { rangemode: "tozero" } },
    );
  }

  async function loadFunnel() {
    const query = windowQuery();
    query.set("steps", FUNNEL_STEPS.join(","));
    const funnel = await api("GET", `/api/analytics/funnel?${query}`);
    await drawFunnel(funnel.steps);
  }

  async function loadSegments() {
    const data = await api("GET", "/api/analytics/segments");
    setText("segments-summary", _("{count} 位顾客", { count: data.customers }) + (data.k ? " · " + _("{count} 个分群", { count: data.k }) : ""));
    showEmpty("segments-empty", data.segments.length === 0);
    fillRows(
      $("segment-table").tBodies[0],
      data.segments.map((segment) => [
        { text: `#${segment.segment + 1}` },
        { text: formatCount(segment.size) },
        { text: segmentWords(segment.description) },
        { text: yuan(Math.round(segment.means.monetary_minor_units || 0)), className: "num" },
        { text: Number(segment.means.frequency || 0).toFixed(1), className: "num" },
        { text: Number(segment.means.recency_days || 0).toFixed(0), className: "num" },
      ]),
    );
    fillRows(
      $("profile-table").tBodies[0],
      data.profiles.map((profile) => [
        { code: profile.user_id },
        { text: profile.recency_days ?? "–", className: "num" },
        { text: profile.frequency, className: "num" },
        { text: yuan(profile.monetary_minor_units), className: "num" },
        { text: profile.rfm_segment ? RFM_NAMES[profile.rfm_segment] || profile.rfm_segment : "–" },
        { text: profile.segment === null || profile.segment === undefined ? "–" : `#${profile.segment + 1}` },
      ]),
    );
  }

  function loadAll() {
    for (const load of [loadTopProducts, loadFunnel, loadSegments]) {
      load().catch((error) => {
        const words = error.status === 422 ? _("日期不对：结束日期不能早于开始日期") : _("数据暂时加载不了，请稍后再试");
        const note = el("p", { className: "dash-error", text: words });
        root.prepend(note);
      });
    }
  }

  $("window-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadTopProducts().catch(() => {});
    loadFunnel().catch(() => {});
  });
  $("top-event-type").addEventListener("change", () => loadTopProducts().catch(() => {}));
  loadAll();
  roomList();
}

if (root && root.dataset.view === "room") roomView();
else if (root) overview();
