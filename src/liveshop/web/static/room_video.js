// The room's live video: HLS through hls.js (vendored at set-up), muted autoplay with a
// tap to unmute, the poster while the stream is offline. The stream's state arrives in
// the room's frames (notice topic "stream"); the playlist's address from the room's API.
import { _, api, typedWords } from "./common.js";
import { showLine } from "./room_notices.js";

const RETRY_MS = 2000; // the playlist appears about 1.5 s after the host starts publishing
const HLS_CONFIG = {
  enableWorker: false, // the pages' CSP allows no blob: workers; one stream demuxes fine inline
  liveSyncDurationCount: 1, // play one 1 s segment behind the live edge (latency ~2 s)
  liveMaxLatencyDurationCount: 4,
  maxBufferLength: 6,
  backBufferLength: 10,
  lowLatencyMode: false, // nginx-rtmp writes plain HLS, no partial segments
  manifestLoadingMaxRetry: 2, // a missing playlist fails fast; RoomVideo retries every 2 s
  manifestLoadingRetryDelay: 500,
  levelLoadingMaxRetry: 6,
  fragLoadingMaxRetry: 6,
};

export class RoomVideo {
  constructor({ roomId, box, poster, unmuteButton, status, playbackUrl }) {
    this.roomId = roomId;
    this.box = box;
    this.poster = poster;
    this.unmuteButton = unmuteButton;
    this.status = status || (playbackUrl ? "live" : "offline");
    this.playbackUrl = playbackUrl || null;
    this.video = null;
    this.hls = null;
    this.retryTimer = null;
    if (unmuteButton) unmuteButton.addEventListener("click", () => this.unmute());
    if (this.status === "live" && this.playbackUrl) this.play(this.playbackUrl);
    else this.showPoster();
  }

  // The room's frames carry notices as {topic: payload}; ours is "stream": {status}.
  applyNotices(notices) {
    const stream = (notices || {}).stream;
    if (stream && stream.status && stream.status !== this.status) this.refresh();
  }

  async refresh() {
    try {
      const room = await api("GET", `/api/rooms/${this.roomId}`);
      this.status = room.stream_status || "offline";
      if (this.status === "live" && room.playback_url) {
        const stalled = !this.hls && window.Hls && window.Hls.isSupported();
        if (room.playback_url !== this.playbackUrl || !this.video || stalled) {
          this.play(room.playback_url);
        }
      } else {
        this.stop();
        this.showPoster();
      }
    } catch {
      this.scheduleRetry();
    }
  }

  play(url) {
    this.stop();
    this.playbackUrl = url;
    const video = document.createElement("video");
    video.id = "player";
    video.className = "player";
    video.muted = true; // browsers let muted video autoplay; a tap turns the sound on
    video.autoplay = true;
    video.playsInline = true;
    video.setAttribute("playsinline", "");
    video.setAttribute("aria-label", _("直播画面"));
    this.box.prepend(video);
    this.video = video;
    this.poster.hidden = true;
    if (this.unmuteButton) this.unmuteButton.hidden = false;
    if (window.Hls && window.Hls.isSupported()) {
      const hls = new window.Hls(HLS_CONFIG);
      this.hls = hls;
      hls.on(window.Hls.Events.ERROR, (_event, data) => {
        if (!data.fatal) return;
        // e.g. the playlist is not written yet (about 1.5 s after publishing starts):
        // start over from the room's state in a moment
        hls.destroy();
        if (this.hls === hls) this.hls = null;
        this.scheduleRetry();
      });
      // how far behind live hls.js estimates the picture is (benchmarks/video.py reads it)
      hls.on(window.Hls.Events.FRAG_CHANGED, () => {
        if (Number.isFinite(hls.latency)) video.dataset.hlsLatency = hls.latency.toFixed(3);
      });
      hls.loadSource(url);
      hls.attachMedia(video);
      hls.on(window.Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = url; // Safari plays HLS itself
      video.play().catch(() => {});
    } else {
      this.stop();
      this.showPoster(_("此浏览器无法播放直播"));
    }
  }

  scheduleRetry() {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.refresh(), RETRY_MS);
  }

  unmute() {
    if (!this.video) return;
    this.video.muted = false;
    this.video.play().catch(() => {});
    if (this.unmuteButton) this.unmuteButton.hidden = true;
  }

  stop() {
    clearTimeout(this.retryTimer);
    if (this.hls) this.hls.destroy();
    this.hls = null;
    if (this.video) this.video.remove();
    this.video = null;
  }

  showPoster(text) {
    this.poster.hidden = false;
    if (this.unmuteButton) this.unmuteButton.hidden = true;
    const caption = this.poster.querySelector(".poster-note");
    if (caption) {
      caption.textContent = text || "";
      caption.hidden = !text;
    }
  }
}

// On phones the chat panel sits below the video: the newest lines also show over the
// video's lower part (hidden on wide screens by room_video.css, where the chat is beside).
const VIDEO_CHAT_LINES = 5;

export class VideoChat {
  constructor(box) {
    this.box = box;
  }

  add(comment) {
    if (!this.box || !comment || !comment.text) return;
    const line = document.createElement("p");
    line.className = `video-chat-line kind-${comment.kind || "comment"}`;
    if (comment.user) line.append(...typedWords(_("{user}："), {}, { user: comment.user }));
    line.append(showLine(document.createElement("span"), comment));
    this.box.append(line);
    while (this.box.childElementCount > VIDEO_CHAT_LINES) this.box.firstElementChild.remove();
  }
}
