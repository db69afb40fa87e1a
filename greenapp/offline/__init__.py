"""Offline entry: the web app manifest and the service worker, served at the root scope."""
