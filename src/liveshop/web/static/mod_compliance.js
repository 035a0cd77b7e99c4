// A merchant's compliance check of a product's title and description: the findings of each
// (term, category, rule, severity, suggested rewrite), and whether it may be published.
import { _, api, el } from "./common.js";
import { ACTIONS, findingView, namesFrom } from "./mod_findings.js";

const $ = (id) => document.getElementById(id);
const root = $("compliance-root");
const FIELDS = { title: _("标题"), description: _("描述") };

function fieldView(name, report) {
  const verdict = report.findings.length ? ACTIONS[report.action] || report.action : _("未发现问题");
  return el("section", { className: "copy-field", dataset: { field: name, action: report.action } }, [
    el("h3", { className: "sub-title", text: `${FIELDS[name]}：${verdict}` }),
    ...report.findings.map(findingView),
  ]);
}

$("copy-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("copy-error").hidden = true;
  const title = $("copy-title-input").value;
  const description = $("copy-description").value;
  if (!title.trim() && !description.trim()) {
    $("copy-error").textContent = _("请填写标题或描述");
    $("copy-error").hidden = false;
    return;
  }
  $("copy-check").disabled = true;
  try {
    const result = await api("POST", "/api/merchant/copy-check", { title, description, registered_names: namesFrom($("copy-names").value) });
    $("copy-results").replaceChildren(fieldView("title", result.title), fieldView("description", result.description));
    $("copy-results-panel").hidden = false;
    root.dataset.state = "checked";
  } catch (error) {
    $("copy-error").textContent = error.message || _("检查失败");
    $("copy-error").hidden = false;
  } finally {
    $("copy-check").disabled = false;
  }
});
