"""Bundled offline demo: simulated Chinese government news sites served on 127.0.0.1."""
