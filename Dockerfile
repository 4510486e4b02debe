# MelodicLens: the bot, the web server (health check, Spotify callback) and the worker.
FROM python:3.11-slim

# Models load from local files only (the embedder ships in a package): no hub at run time.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

WORKDIR /app

# torch first, from the CPU index and pinned like pyproject.toml: PyPI's default torch pulls a
# multi-GB CUDA build. Its own layer, so code changes do not download it again.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

COPY pyproject.toml README.md LICENSE ./
COPY bot/ bot/
COPY handlers/ handlers/
COPY recsys/ recsys/
COPY db/ db/
# The schema scripts: db/migrations.py finds them beside the packages in the source tree.
COPY alembic/ alembic/
RUN pip install -e .

# Never run as root; /data holds what MELODICLENS_DATA_DIR keeps (a named volume in compose).
RUN useradd --create-home --uid 10001 melodiclens \
    && mkdir -p /data \
    && chown melodiclens:melodiclens /data
USER melodiclens
ENV MELODICLENS_DATA_DIR=/data \
    MELODICLENS_HTTP_HOST=0.0.0.0
VOLUME ["/data"]
EXPOSE 8888

CMD ["melodiclens", "run"]
