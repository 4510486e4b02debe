"""How the shipped mood model (recsys/data/mood_model.npz) is built and chosen; never imported
by the app (bot, handlers, recsys, db). See training/README.md."""
