"""Calls: agent settings, the call record and its transcript, live analysis and
the handoff decision. Shared by the API (Lambda) and the voice agent (Fargate)."""
