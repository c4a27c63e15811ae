"""Docker HEALTHCHECK for `toonbot run`: fetch the Prometheus endpoint when [metrics] port is set.

ToonBot serves no other HTTP endpoint, so with metrics off (the default) there is nothing to ask
and the check passes; set [metrics] port in config.toml for a check that notices a hung or dead
bot. Exit 0 healthy, 1 not (Docker's convention). Standard library plus bot.config only: it runs
every 30 s and must stay cheap (no torch).
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from bot.config import ConfigError, load_config

__all__ = ["main"]

# Inside the container the bot listens on its own loopback whatever host it binds.
_ANY_ADDRESS = {"0.0.0.0", "::", ""}
TIMEOUT_S = 5.0


def main() -> int:
    """Probe http://HOST:PORT/metrics of the config in effect; 0 when it answers 200."""
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"unhealthy: {exc}")
        return 1
    port = config.metrics.port
    if not port:
        print("healthy: [metrics] port = 0, nothing to probe")
        return 0
    host = config.metrics.host
    host = "127.0.0.1" if host in _ANY_ADDRESS else host
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    url = f"http://{host}:{port}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            status = response.status
    except (OSError, urllib.error.URLError) as exc:
        print(f"unhealthy: {url}: {exc}")
        return 1
    print(f"{'healthy' if status == 200 else 'unhealthy'}: {url} answered {status}")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
