// Campaign pages: create a campaign, the campaign's metrics by dimension with a Plotly
// chart, the link builder with its QR codes, and an experiment's rates with intervals.
// Server text reaches the page through textContent only.
import { localisedConfig } from "./chart_locale.js";
import { LOCALE, _, api, el } from "./common.js";
import { RoomPicker, whenTyped } from "./room_picker.js";

const CHART_CONFIG = { displaylogo: false, responsive: true };
const LAYOUT = { margin: { l: 50, r: 20, t: 10, b: 60 }, height: 300, font: { size: 12 } };
const COLUMNS = ["impressions", "clicks", "ctr", "visits", "viewers", "orders", "conversion_rate",
  "gmv", "refunds", "net_gmv", "spend", "cpc", "cpa", "roas", "roi"];
const MONEY = new Set(["gmv", "refunds", "net_gmv", "spend", "cpc", "cpa"]);
const PERCENT = new Set(["ctr", "conversion_rate"]);
const KEY_LABELS = { channel: _("渠道"), creative: _("素材"), kol: _("达人"), day: _("日期") };
// as campaign_pages.CHANNEL_LABELS: a merchant's own channel shows as they wrote it
const CHANNEL_LABELS = {
  douyin: _("抖音"), wechat: _("微信"), weibo: _("微博"), xiaohongshu: _("小红书"), tiktok: "TikTok",
  instagram: "Instagram", facebook: "Facebook", share: _("观众分享"),
};
const ERRORS = {
  target_not_yours: _("这个推广对象不属于本店"),
  kol_not_found: _("没有这个达人账号"),
  no_shop: _("发布第一个商品开店后才能做推广"),
  bad_channel: _("渠道名称只能用小写字母、数字、_ 和 -"),
};
const $ = (id) => document.getElementById(id);

function shown(column, value) {
  if (value === null || value === undefined) return "–";
  if (MONEY.has(column)) return (value / 100).toLocaleString(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  if (PERCENT.has(column)) return `${(value * 100).toFixed(2)}%`;
  if (!Number.isInteger(value)) return Number(value).toFixed(2);
  return value.toLocaleString(LOCALE);
}

let plotlyPromise = null;
function plotly(root) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotlyPromise) {
    plotlyPromise = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = root.dataset.plotlySrc;
      script.onload = () => (window.Plotly ? resolve(window.Plotly) : reject(new Error("Plotly missing")));
      script.onerror = () => reject(new Error("plotly.min.js did not load"));
      document.head.append(script);
    });
  }
  return plotlyPromise;
}

async function draw(root, id, traces, layout = {}) {
  const node = $(id);
  if (!node) return;
  const Plotly = await plotly(root);
  await Plotly.react(node, traces, { ...LAYOUT, ...layout }, localisedConfig(Plotly, CHART_CONFIG));
  node.dataset.rendered = "true";
}

/** A refusal in words (never the API's code or its English message). */
function showError(id, error) {
  const node = $(id);
  node.textContent = ERRORS[error.code] || (error.status === 422 ? _("请检查填写的内容") : _("没有成功，请稍后再试"));
  node.hidden = false;
}

// --- the campaigns list: create ---

function yuanToMinor(text) {
  const [whole, fraction = ""] = String(text).trim().split(".");
  return Number(whole) * 100 + Number((fraction + "00").slice(0, 2));
}

function setUpCampaignForm() {
  const form = $("campaign-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("campaign-error").hidden = true;
    const data = new FormData(form);
    const channels = [...data.getAll("channels"), ...String(data.get("custom_channels") || "")
      .split(/[,，]/).map((part) => part.trim()).filter(Boolean)];
    const offset = -new Date().getTimezoneOffset();
    const zone = `${offset >= 0 ? "+" : "-"}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0")}:${String(Math.abs(offset) % 60).padStart(2, "0")}`;
    try {
      const campaign = await api("POST", "/api/campaigns", {
        name: data.get("name"),
        channels,
        budget: yuanToMinor(data.get("budget")),
        starts_at: `${data.get("starts")}T00:00:00${zone}`,
        ends_at: `${data.get("ends")}T23:59:59${zone}`,
        goal: data.get("goal"),
        commission_bps: Math.round(yuanToMinor(data.get("commission") || "0")),
      });
      window.location.assign(`/campaigns/${campaign.id}`);
    } catch (error) {
      showError("campaign-error", error);
    }
  });
}

// --- a campaign: metrics, chart, link builder ---

function fillMetrics(report) {
  const body = $("metrics-table").querySelector("tbody");
  body.replaceChildren(...report.rows.map((row) => {
    const key = String(row[report.by]);
    const cells = [el("td", { text: report.by === "channel" ? CHANNEL_LABELS[key] || key : key })];
    for (const column of COLUMNS) cells.push(el("td", { className: "num", text: shown(column, row[column]) }));
    return el("tr", {}, cells);
  }));
  $("metrics-key").textContent = KEY_LABELS[report.by] || report.by;
  $("metrics-empty").hidden = report.rows.length > 0;
}

async function loadMetrics(root) {
  const by = $("metrics-by").value;
  const model = $("metrics-model").value;
  const report = await api("GET", `/api/campaigns/${root.dataset.campaignId}/metrics?by=${by}&model=${model}`);
  fillMetrics(report);
  const keys = report.rows.map((row) => (report.by === "channel" ? CHANNEL_LABELS[row.channel] || row.channel : String(row[report.by])));
  await draw(root, "chart-metrics", [
    { type: "bar", name: _("花费（元）"), x: keys, y: report.rows.map((row) => (row.spend || 0) / 100) },
    { type: "bar", name: _("成交额（元）"), x: keys, y: report.rows.map((row) => (row.gmv || 0) / 100) },
    { type: "scatter", mode: "lines+markers", name: _("点击"), yaxis: "y2", x: keys, y: report.rows.map((row) => row.clicks) },
  ], { barmode: "group", yaxis2: { overlaying: "y", side: "right", rangemode: "tozero" }, legend: { orientation: "h" } });
}

function linkCard(link, targetName) {
  const qr = el("img", { className: "qr", attrs: { src: link.qr_url, alt: _("推广链接二维码"), width: 96, height: 96 } });
  const typed = [link.creative, link.kol].filter(Boolean).flatMap((part) => [" · ", el("span", { typed: part })]);
  const text = el("div", {}, [
    el("code", { text: link.url }),
    el("br"),
    el("span", { className: "muted" }, [CHANNEL_LABELS[link.channel] || link.channel, ...typed, ` → ${targetName}`]),
  ]);
  return el("div", { className: "link-card", dataset: { code: link.code } }, [qr, text]);
}

/** What a link leads to, picked by name: the shop's rooms (by title) or its products. */
function targetPicker(form) {
  const select = $("target-select");
  const rooms = new RoomPicker({ select, valuePrefix: "room:" });
  let products = null;
  async function find() {
    const text = $("target-search").value.trim();
    if ($("target-kind").value === "room") {
      await rooms.find(text);
      return;
    }
    products ??= await api("GET", `/api/shops/${form.dataset.shopId}/products`);
    const found = products.filter((product) => product.title.includes(text));
    select.replaceChildren(
      el("option", { text: found.length ? _("请选择商品") : _("没有找到商品"), attrs: { value: "" } }),
      ...found.map((product) => el("option", { typed: product.title, attrs: { value: `product:${product.id}` } })),
    );
    if (text && found.length) select.selectedIndex = 1;
  }
  const refind = () => find().catch(() => {});
  whenTyped($("target-search"), refind);
  $("target-kind").addEventListener("change", refind);
  refind();
  return () => {
    const kind = $("target-kind");
    return `${kind.options[kind.selectedIndex].text} ${select.options[select.selectedIndex].text.replace(/ · .*$/, "")}`;
  };
}

/** The KOL's account for commissions, by name: hosts whose name contains what was typed. */
function kolPicker() {
  const select = $("kol-select");
  whenTyped($("kol-search"), async (text) => {
    const accounts = text ? await api("GET", `/api/campaigns/kol-accounts?q=${encodeURIComponent(text)}`).catch(() => []) : [];
    const none = el("option", { text: text && !accounts.length ? _("没有找到账号（不结算佣金）") : _("不结算佣金"), attrs: { value: "" } });
    select.replaceChildren(none, ...accounts.map((account) => el("option", { typed: account.username, attrs: { value: account.id } })));
    if (accounts.length) select.selectedIndex = 1;
  });
}

function setUpLinkForm(root) {
  const form = $("link-form");
  const chosenTarget = targetPicker(form);
  kolPicker();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("link-error").hidden = true;
    const data = new FormData(form);
    const kolSelect = $("kol-select");
    const kolName = data.get("kol") || (data.get("kol_user_id") ? kolSelect.options[kolSelect.selectedIndex].text : "");
    const body = { target: data.get("target"), channel: data.get("channel"), creative: data.get("creative") || "", kol: kolName };
    if (data.get("kol_user_id")) body.kol_user_id = Number(data.get("kol_user_id"));
    try {
      const link = await api("POST", `/api/campaigns/${root.dataset.campaignId}/links`, body);
      $("link-list").prepend(linkCard(link, chosenTarget()));
      for (const name of ["creative", "kol"]) form.elements[name].value = "";
    } catch (error) {
      showError("link-error", error);
    }
  });
}

function setUpCampaign(root) {
  setUpLinkForm(root);
  const reload = () => loadMetrics(root).catch((error) => console.warn("metrics:", error.message));
  $("metrics-by").addEventListener("change", reload);
  $("metrics-model").addEventListener("change", reload);
  reload();
}

// --- an experiment: rates with their intervals ---

function setUpExperiment(root) {
  const rows = [...document.querySelectorAll("#variant-table tbody tr")].filter((row) => row.dataset.rate !== "");
  const names = rows.map((row) => row.dataset.variant);
  const rates = rows.map((row) => Number(row.dataset.rate) * 100);
  draw(root, "chart-rates", [{
    type: "bar",
    x: names,
    y: rates,
    error_y: {
      type: "data",
      symmetric: false,
      array: rows.map((row, index) => Number(row.dataset.high) * 100 - rates[index]),
      arrayminus: rows.map((row, index) => rates[index] - Number(row.dataset.low) * 100),
    },
  }], { yaxis: { title: _("转化率 %"), rangemode: "tozero" } }).catch((error) => console.warn("chart:", error.message));
}

setUpCampaignForm();
if ($("campaign")) setUpCampaign($("campaign"));
if ($("experiment")) setUpExperiment($("experiment"));
