"""One module per local service. Each exposes a `Service` with install/start/stop/health."""
