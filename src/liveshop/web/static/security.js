// Account security: enrol the TOTP second factor (QR code, confirm with a first code, the
// recovery codes shown once), see its state, remove it with a code.
// The QR SVG comes from our server (segno); it is still shown as an image (data: URL), where
// an SVG can run no script, never inserted into the page as markup.
import { _, api, el, toast } from "./common.js";

const $ = (id) => document.getElementById(id);
const root = $("security-root");
const TOTP_ERRORS = {
  wrong_code: _("动态码不正确，请检查手机时间后重试"),
  second_factor_locked: _("错误次数过多，已暂时锁定，请 15 分钟后再试"),
  no_pending_totp: _("请重新开始绑定"),
  totp_already_enrolled: _("两步验证已开启"),
  totp_not_enrolled: _("两步验证未开启"),
};

function totpError(error) {
  if (TOTP_ERRORS[error.code]) return TOTP_ERRORS[error.code];
  if (error.code === "http_422") return _("请输入 6 位数字或恢复码");
  return error.message || _("操作失败");
}

function show(state) {
  root.dataset.state = state;
  $("totp-off").hidden = state !== "off";
  $("totp-enrol").hidden = state !== "enrolling";
  $("totp-codes").hidden = state !== "codes";
  $("totp-on").hidden = state !== "on";
  $("totp-error").hidden = true;
}

function showError(error) {
  $("totp-error").textContent = totpError(error);
  $("totp-error").hidden = false;
}

async function loadStatus() {
  const status = await api("GET", "/api/me/totp");
  $("totp-status").textContent = status.enrolled
    ? _("已开启 · 剩余 {count} 个恢复码", { count: status.recovery_codes_left })
    : _("未开启");
  $("totp-status").dataset.enrolled = String(status.enrolled);
  return status;
}

/** An SVG document as an <img>: a data: URL, so nothing in it can run or reach the page. */
function svgImage(svg, label) {
  const image = el("img", { className: "totp-qr-img", attrs: { alt: label, width: 200, height: 200 } });
  // segno's inline SVG leaves out the namespace, which a standalone SVG document needs.
  const standalone = /^<svg\b(?![^>]*\bxmlns=)/.test(svg) ? svg.replace(/^<svg\b/, '<svg xmlns="http://www.w3.org/2000/svg"') : svg;
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(standalone)}`;
  return image;
}

$("totp-start").addEventListener("click", async () => {
  $("totp-start").disabled = true;
  try {
    const enrolment = await api("POST", "/api/me/totp");
    $("totp-qr").replaceChildren(svgImage(enrolment.qr_svg, _("两步验证二维码")));
    $("totp-secret").textContent = enrolment.secret;
    $("totp-qr").dataset.uri = enrolment.otpauth_uri;
    show("enrolling");
    $("totp-confirm-code").focus();
  } catch (error) {
    showError(error);
  } finally {
    $("totp-start").disabled = false;
  }
});

$("totp-confirm-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const code = $("totp-confirm-code").value.trim();
  try {
    const result = await api("POST", "/api/me/totp/confirm", { code });
    $("recovery-codes").replaceChildren(...result.recovery_codes.map((recovery) => el("li", { className: "recovery-code", text: recovery })));
    $("totp-qr").replaceChildren();
    $("totp-secret").textContent = "";
    show("codes");
    await loadStatus();
  } catch (error) {
    showError(error);
  }
});

$("totp-codes-done").addEventListener("click", () => {
  $("recovery-codes").replaceChildren(); // shown once: gone from the page too
  show("on");
});

$("totp-remove-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const code = $("totp-remove-code").value.trim().toLowerCase();
  try {
    await api("POST", "/api/me/totp/remove", { code });
    $("totp-remove-code").value = "";
    toast(_("两步验证已关闭"));
    await loadStatus();
    show("off");
  } catch (error) {
    showError(error);
  }
});

loadStatus().then(
  (status) => show(status.enrolled ? "on" : "off"),
  (error) => showError(error),
);
