# Haven: the Slack app, its model and Tesseract (English + Dutch), as a non-root service.
# Build: docker build -t haven .    Run: see compose.yaml (Haven, PostgreSQL, Redis).

# -- build: wheels for Haven and everything it needs ------------------------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY classifier ./classifier
COPY models ./models
COPY migrations ./migrations
RUN pip wheel --wheel-dir /wheels .

# -- run: a slim image with only what Haven needs at run time ----------------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 PORT=3000 HAVEN_HOST=0.0.0.0 HAVEN_DATA_DIR=/data
# Tesseract with English and Dutch data: Haven reads the text in memes and screenshots.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng \
       tesseract-ocr-nld \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links=/wheels haven && rm -rf /wheels \
    && useradd --create-home --uid 10001 haven \
    && install -d -o haven -g haven -m 0700 /data
USER haven
WORKDIR /home/haven
# The SQLite database and its key file (when no DATABASE_URL or HAVEN_ENCRYPTION_KEY is
# given) live here: a volume, so that they outlive the container. Back it up.
VOLUME ["/data"]
# Settings come from the environment (.env.sample lists them; `docker run --env-file .env`
# keeps secrets off the command line). `haven serve` applies the database migrations on
# start, then serves POST /slack/events and GET /healthz (in Socket Mode /healthz only), on
# every interface of the container (HAVEN_HOST): which of them the host publishes is up to
# it (`-p 127.0.0.1:3000:3000`: this machine only).
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"
STOPSIGNAL SIGTERM
ENTRYPOINT ["haven"]
CMD ["serve"]
