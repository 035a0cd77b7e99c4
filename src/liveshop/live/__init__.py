"""Live rooms: the real-time hub, chat, likes, questions and host controls."""
