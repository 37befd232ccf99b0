"""Voice tests: a synthetic caller on a real livekit-server, and the agent worker answering it."""
