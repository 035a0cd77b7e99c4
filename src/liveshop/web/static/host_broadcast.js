// Go live from the browser: the camera and microphone, previewed here, recorded by
// MediaRecorder (WebM, VP8 + Opus, a chunk every 500 ms) and sent over a WebSocket to
// LiveShop, which encodes and publishes them to the media server with a key it keeps.
import { _, toast } from "./common.js";

const TIMESLICE_MS = 500;
const MIME = "video/webm;codecs=vp8,opus";
const MAX_UNSENT_BYTES = 8 * 1024 * 1024; // the network is too slow: stop rather than pile up
const $ = (id) => document.getElementById(id);

export class HostBroadcast {
  constructor({ roomId }) {
    this.roomId = roomId;
    this.media = null;
    this.recorder = null;
    this.socket = null;
    $("camera-start").addEventListener("click", () => this.start());
    $("camera-stop").addEventListener("click", () => this.stop(_("已停止浏览器开播")));
  }

  show(state, text) {
    $("camera-start").hidden = state !== "idle";
    $("camera-stop").hidden = state === "idle";
    $("camera-state").textContent = text;
    $("camera-preview").hidden = state === "idle";
  }

  async start() {
    if (!navigator.mediaDevices || !window.MediaRecorder) {
      toast(_("这个浏览器不支持直接开播，请用 OBS 推流"));
      return;
    }
    if (!MediaRecorder.isTypeSupported(MIME)) {
      toast(_("这个浏览器不能录制 VP8 视频，请换用 Chrome 或用 OBS 推流"));
      return;
    }
    this.show("starting", _("正在打开摄像头…"));
    try {
      this.media = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 1280 }, height: { ideal: 720 } },
        audio: true,
      });
    } catch {
      this.show("idle", "");
      toast(_("没有拿到摄像头或麦克风的权限"));
      return;
    }
    const preview = $("camera-preview");
    preview.srcObject = this.media;
    preview.muted = true;
    preview.play().catch(() => {});
    this.connect();
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/rooms/${this.roomId}/broadcast`);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.show("starting", _("正在连接直播服务器…"));
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "ready") this.record();
    });
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      const why = event.code === 4409 ? _("这个直播间已经在用浏览器开播") : event.reason;
      this.stop(why ? _("浏览器开播已结束：{why}", { why }) : _("浏览器开播已断开"));
    });
  }

  record() {
    this.recorder = new MediaRecorder(this.media, { mimeType: MIME });
    this.recorder.addEventListener("dataavailable", (event) => {
      const socket = this.socket;
      if (!socket || socket.readyState !== WebSocket.OPEN || event.data.size === 0) return;
      if (socket.bufferedAmount > MAX_UNSENT_BYTES) {
        this.stop(_("网络太慢，浏览器开播已停止"));
        return;
      }
      socket.send(event.data);
    });
    this.recorder.start(TIMESLICE_MS);
    this.show("live", _("正在用浏览器推流"));
    toast(_("画面已开始推送"));
  }

  stop(text) {
    const socket = this.socket;
    this.socket = null;
    if (this.recorder && this.recorder.state !== "inactive") this.recorder.stop();
    this.recorder = null;
    if (this.media) this.media.getTracks().forEach((track) => track.stop());
    this.media = null;
    $("camera-preview").srcObject = null;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000, "host stopped");
    this.show("idle", "");
    if (text) toast(text);
  }
}
