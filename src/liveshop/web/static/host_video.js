// The host console's video panel: the ingest URL and stream key for OBS or ffmpeg (the key
// masked until revealed; each "new key" replaces the last), the stream's health from the
// media server (bitrate, frame rate), and "go live": the room starts when the video arrives.
import { _, api, toast } from "./common.js";

const HEALTH_MS = 3000;
const $ = (id) => document.getElementById(id);

export class HostVideo {
  constructor({ roomId, onRoomStatus }) {
    this.roomId = roomId;
    this.onRoomStatus = onRoomStatus;
    this.key = null;
    this.revealed = false;
    this.timer = null;
    $("stream-key-new").addEventListener("click", () => this.newKey());
    $("stream-key-reveal").addEventListener("click", () => this.toggleReveal());
    $("stream-key-copy").addEventListener("click", () => this.copyKey());
    $("go-live-btn").addEventListener("click", () => this.goLive());
    this.pollHealth();
  }

  async newKey() {
    try {
      const answer = await api("POST", `/api/rooms/${this.roomId}/stream-key`);
      this.key = answer.stream_key;
      $("ingest-url").value = answer.ingest_url;
      this.revealed = false;
      this.showKey();
      $("stream-key-reveal").disabled = false;
      $("stream-key-copy").disabled = false;
      toast(_("新的推流密钥已生成，旧密钥已失效"));
    } catch (error) {
      toast(error.message);
    }
  }

  showKey() {
    const field = $("stream-key");
    field.value = this.key ? (this.revealed ? this.key : "•".repeat(16)) : "";
    $("stream-key-reveal").textContent = this.revealed ? _("隐藏") : _("显示");
  }

  toggleReveal() {
    this.revealed = !this.revealed;
    this.showKey();
  }

  async copyKey() {
    if (!this.key) return;
    try {
      await navigator.clipboard.writeText(this.key);
      toast(_("已复制推流密钥"));
    } catch {
      toast(_("无法复制，请点“显示”后手动复制"));
    }
  }

  async goLive() {
    try {
      const answer = await api("POST", `/api/rooms/${this.roomId}/go-live`);
      if (answer.room_status === "live") toast(_("已开播"));
      else if (answer.starts_when_stream_arrives) toast(_("画面一到就自动开播"));
      $("go-live-state").textContent = answer.starts_when_stream_arrives ? _("等待画面，到达后自动开播") : "";
      this.setRoomStatus(answer.room_status);
    } catch (error) {
      toast(error.message);
    }
  }

  setRoomStatus(status) {
    $("go-live-btn").disabled = status !== "scheduled";
    if (this.onRoomStatus) this.onRoomStatus(status);
  }

  async pollHealth() {
    clearTimeout(this.timer);
    try {
      const health = await api("GET", `/api/rooms/${this.roomId}/stream-health`);
      this.showHealth(health);
    } catch {
      // the next poll tries again
    }
    this.timer = setTimeout(() => this.pollHealth(), HEALTH_MS);
  }

  showHealth(health) {
    const live = health.stream_status === "live";
    $("stream-state").textContent = live ? _("画面已接入") : _("未收到画面");
    $("stream-state").dataset.state = live ? "live" : "offline";
    $("stream-bitrate").textContent = live && health.bitrate_kbps !== null ? `${health.bitrate_kbps} kbps` : "—";
    $("stream-fps").textContent = live && health.fps !== null ? `${Math.round(health.fps)} fps` : "—";
    $("stream-size").textContent = live && health.width ? `${health.width}×${health.height}` : "—";
    if (live && $("go-live-state").textContent) {
      api("GET", `/api/rooms/${this.roomId}`)
        .then((room) => {
          if (room.status === "live") {
            $("go-live-state").textContent = "";
            this.setRoomStatus(room.status);
          }
        })
        .catch(() => {});
    }
  }
}
