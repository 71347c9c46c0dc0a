FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# Tesseract with English and Dutch data: Haven reads the text in memes and screenshots.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng \
       tesseract-ocr-nld \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY classifier ./classifier
COPY models ./models
COPY migrations ./migrations
RUN pip install --no-cache-dir . && useradd --create-home haven
USER haven
WORKDIR /home/haven
# Settings come from the environment (see .env.sample); the SQLite default lives in ./var.
ENV PORT=3000
EXPOSE 3000
HEALTHCHECK CMD python -c "import urllib.request,os; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'))"
ENTRYPOINT ["haven"]
CMD ["serve"]
