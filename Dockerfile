FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY classifier ./classifier
COPY models ./models
RUN pip install --no-cache-dir . && useradd --create-home haven
USER haven
ENTRYPOINT ["haven"]
CMD ["--help"]
