"""ToonBot frontends, CLI and composition root."""
