"""The web player's tests: a real headless Chromium against the origin."""
