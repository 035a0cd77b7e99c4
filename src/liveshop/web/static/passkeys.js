// Passkeys (WebAuthn) in the browser: the server's options go to navigator.credentials as they
// are (the browser's own JSON parsers), and the answer comes back with toJSON(). This browser's
// device id (localStorage) names it to the server: a passkey registered here marks this device,
// and a trusted one may pay small sums without a step-up.
import { _ } from "./i18n.js";

const DEVICE_KEY = "liveshop.device-id";

export const PASSKEY_ERRORS = {
  passkey_invalid: _("通行密钥验证失败，请重试"),
  passkey_exists: _("此设备的通行密钥已添加"),
  too_many_passkeys: _("通行密钥数量已达上限，请先删除不用的"),
  no_passkey: _("尚未添加通行密钥"),
  no_passkey_challenge: _("验证已过期，请重试"),
  device_required: _("无法识别此设备，请在本机重新添加"),
  wrong_code: _("通行密钥验证失败，请重试"),
  seamless_limit_too_high: _("超过平台允许的每日免密额度"),
  NotAllowedError: _("已取消或超时"),
  InvalidStateError: _("此设备的通行密钥已添加"),
};

export function passkeysSupported() {
  return Boolean(window.PublicKeyCredential && PublicKeyCredential.parseCreationOptionsFromJSON && window.isSecureContext);
}

/** This browser's id, made once (only pages that deal with passkeys make one). */
export function deviceId({ create = false } = {}) {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id && create) {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    id = "web-" + Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

/** The X-Device-Id header when this browser has an id. */
export function deviceHeaders() {
  const id = deviceId();
  return id ? { "X-Device-Id": id } : {};
}

/** navigator.credentials.create with the server's registration options; the answer as JSON. */
export async function createPasskey(options) {
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options);
  const credential = await navigator.credentials.create({ publicKey });
  return credential.toJSON();
}

/** navigator.credentials.get with the server's assertion options; the answer as JSON. */
export async function usePasskey(options) {
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options);
  const credential = await navigator.credentials.get({ publicKey });
  return credential.toJSON();
}

export function passkeyError(error) {
  return PASSKEY_ERRORS[error.code] || PASSKEY_ERRORS[error.name] || error.message || _("操作失败");
}
