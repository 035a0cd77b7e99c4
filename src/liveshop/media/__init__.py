"""Live video: stream keys, the media server's callbacks, its configuration, replays."""
