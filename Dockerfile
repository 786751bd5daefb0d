# lrquiz images, two targets from one file (see README, "Running in production"):
#
#   docker build --target bot    -t lrquiz-bot .      # Slack or Discord bot, ~250 MB
#   docker build --target runner -t lrquiz-runner .   # sandboxed PyTorch runner, CPU torch
#
# The bot image runs as an unprivileged user and keeps its data under /data. The runner
# image must run as root with the capabilities listed in the README's "In a container"
# section; without them it still serves, and /v1/health names every missing layer.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- the source, copied once --------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS source
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY problems ./problems
COPY storage ./storage
COPY runner ./runner

# --- what both images share ---------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY deploy/healthcheck.py /usr/local/bin/lrquiz-healthcheck
RUN chmod 0755 /usr/local/bin/lrquiz-healthcheck

# --- the chat bot -------------------------------------------------------------------------
FROM base AS bot
COPY --from=source /src /tmp/lrquiz
# postgres: psycopg 3, the PostgreSQL engine (LRQUIZ_DB=postgresql://...); SQLite needs nothing.
RUN pip install "/tmp/lrquiz[slack,discord,postgres]" && rm -rf /tmp/lrquiz
RUN useradd --system --uid 10001 --home-dir /data --create-home lrquiz
USER lrquiz
WORKDIR /data
# SQLite databases, the dashboard's link secret and a .env, when used, live here.
ENV XDG_DATA_HOME=/data
VOLUME ["/data"]
# 3000: Slack HTTP mode (/slack/events, /health, /metrics); 9100: --metrics-port.
EXPOSE 3000 9100
CMD ["lrquiz", "run", "slack", "--http", "--port", "3000"]

# --- the runner ---------------------------------------------------------------------------
FROM base AS runner
# libseccomp for the seccomp layer (pyseccomp loads it with ctypes).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libseccomp2 \
    && rm -rf /var/lib/apt/lists/*
# The CPU build from PyTorch's own index; the default index would bring the CUDA build.
# A build host that reaches packages only through its own mirror names that one instead
# (deploy/check-images.sh passes the host's pip configuration).
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN pip install torch==2.13.0 --index-url "${TORCH_INDEX_URL}"
COPY --from=source /src /tmp/lrquiz
RUN pip install "/tmp/lrquiz[runner]" && rm -rf /tmp/lrquiz
ENV LRQUIZ_RUNNER_CACHE=/var/cache/lrquiz/runner-cache.db
VOLUME ["/var/cache/lrquiz"]
EXPOSE 8765
# root on purpose: namespaces, chroot, per-job uids and cgroups need it (README).
USER root
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["lrquiz-healthcheck", "http://127.0.0.1:8765/v1/health"]
CMD ["lrquiz", "runner", "serve", "--host", "0.0.0.0", "--require-isolation"]
