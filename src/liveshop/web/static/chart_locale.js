// Plotly's own words in the page's language: the mode bar's buttons (their tooltips and
// accessible names) and a date axis's month and day names. Plotly speaks English unless a
// locale is registered with it; an English page keeps Plotly's own.
import { LOCALE, _ } from "./common.js";

// Plotly's messages (its English is the key) that the pages' charts can show.
const DICTIONARY = {
  "Download plot as a PNG": _("下载图片（PNG）"),
  "Download plot": _("下载图片"),
  Zoom: _("缩放"),
  Pan: _("平移"),
  "Box Select": _("框选"),
  "Lasso Select": _("套索选择"),
  "Zoom in": _("放大"),
  "Zoom out": _("缩小"),
  Autoscale: _("自动缩放"),
  "Reset axes": _("重置坐标轴"),
  "Toggle Spike Lines": _("显示或隐藏辅助线"),
  "Show closest data on hover": _("悬停时显示最近的数据"),
  "Compare data on hover": _("悬停时比较数据"),
  "Toggle show closest data on hover": _("切换悬停显示最近的数据"),
  "Preparing image - this may take a few seconds": _("正在生成图片，请稍候"),
  "Image download succeeded": _("图片已下载"),
  "Sorry, there was a problem downloading your image!": _("抱歉，图片下载失败"),
};

function names(count, make, options) {
  const format = new Intl.DateTimeFormat(LOCALE, options);
  return Array.from({ length: count }, (_unused, index) => format.format(make(index)));
}

// Month and day names from Intl in the page's language (2023-01-01 was a Sunday).
function dateFormat() {
  const month = (index) => new Date(2023, index, 1);
  const day = (index) => new Date(2023, 0, 1 + index);
  return {
    months: names(12, month, { month: "long" }),
    shortMonths: names(12, month, { month: "short" }),
    days: names(7, day, { weekday: "long" }),
    shortDays: names(7, day, { weekday: "short" }),
  };
}

let registered = false;

/** `config` with the page's locale, registered with `Plotly` the first time (none in English). */
export function localisedConfig(Plotly, config) {
  if (LOCALE.startsWith("en")) return config;
  if (!registered) {
    Plotly.register({ moduleType: "locale", name: LOCALE, dictionary: DICTIONARY, format: dateFormat() });
    registered = true;
  }
  return { ...config, locale: LOCALE };
}
