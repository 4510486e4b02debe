"""Dated mood-model experiments that did not ship (see experiments/README.md); never imported
by the app, nor by training/."""
