# The app image for server mode (docker-compose.yml): gunicorn with several workers, vectors in Qdrant.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 FLASK_APP=app HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
WORKDIR /srv/app
COPY requirements.txt .
# PyTorch's CPU index keeps the image free of CUDA libraries it would never use.
RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.txt
COPY . .
RUN useradd --create-home songbird && mkdir -p instance && chown -R songbird instance
USER songbird
EXPOSE 8000
# gunicorn.conf.py sets workers (one per core, at most 8, when QDRANT_URL is set; WORKERS or
# GUNICORN_WORKERS override it), threads, timeouts and the access log on stdout. This CMD prepares
# and serves in one container; docker-compose.yml runs the preparing commands once, in its `migrate`
# service, and starts the workers only after it (its `app` service runs gunicorn alone).
CMD ["sh", "-c", "flask db upgrade && flask seed all --if-empty && flask vectors sync && flask seed item-model && exec gunicorn -c gunicorn.conf.py --bind 0.0.0.0:8000 wsgi:app"]
