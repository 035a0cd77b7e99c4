"""The shop's customer-service assistant in the live room: it answers the chat's
questions from the shop's own facts, or passes them to the host."""
