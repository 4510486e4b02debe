"""What the tests and the benchmarks share: fakes that speak the real protocols (Ollama,
Spotify, Telegram, Discord, Genius, the audio-features service), fixture catalogs, image bombs
and the synthetic catalog. Only tests/ and benchmarks/ import it (checked by lint-imports)."""
