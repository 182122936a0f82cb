# One image for every Tracehound process: web (uvicorn, config/server.py), digest, alert and uptime workers and beat
# (celery).
# See compose.yaml.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
COPY config ./config
COPY projects ./projects
COPY ingest ./ingest
COPY issues ./issues
COPY notify ./notify
COPY monitors ./monitors
COPY frontend ./frontend
COPY manage.py ./
# The client, which the server offers as a wheel for download (frontend/sdk_download.py).
COPY sdk ./sdk
RUN pip install --no-cache-dir . && useradd --system --home /app tracehound && mkdir -p /data && chown tracehound /data
USER tracehound
ENV TRACEHOUND_DATA_DIR=/data STATIC_ROOT=/app/staticfiles WEB_CONCURRENCY=2
EXPOSE 8000
# Tracehound's own health checks (README, "Health"): database, Redis, migrations, workers' heartbeats, backlogs, disk.
# compose.yaml narrows them to what each process is responsible for.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["python", "manage.py", "healthcheck"]
# uvicorn with the options and request bounds of config/server.py
CMD ["python", "-m", "config.server", "--host", "0.0.0.0", "--port", "8000"]
