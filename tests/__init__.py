"""Tests mirror the source tree; tests/browser drives Debian's Chromium with Playwright."""
