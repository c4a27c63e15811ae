# ToonBot image. CPU by default: torch from PyTorch's CPU index, so no CUDA wheels (GBs) come in.
#   docker build -t toonbot .
# CUDA (needs the NVIDIA Container Toolkit on the host; torch's PyPI wheels carry their own CUDA
# runtime, the host only needs the driver):
#   docker build -t toonbot:cuda --build-arg TORCH_INDEX_URL=https://pypi.org/simple .
# ONNX models then still run on the CPU: onnxruntime-gpu trails the onnxruntime pinned in
# pyproject.toml. To swap it in, add --build-arg ONNXRUNTIME=onnxruntime-gpu==<version>.
# Run: see compose.yaml and README "Run as a service". Data lives in /data (one volume).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# "" keeps pyproject's onnxruntime; a requirement (onnxruntime-gpu==1.31.1) replaces it.
ARG ONNXRUNTIME=""
# Extras baked in: postgres (asyncpg) for a shared TOONBOT_DATABASE_URL; "" for none.
ARG EXTRAS=postgres
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/toonbot
# torch first, from the chosen index: `pip install .` then finds torch==2.13.0 satisfied and
# does not fetch PyPI's default Linux build, which pulls several GB of NVIDIA libraries.
COPY pyproject.toml /src/pyproject.toml
RUN TORCH_VERSION="$(sed -n 's/^ *"torch==\([0-9.]*\)".*/\1/p' /src/pyproject.toml)" \
    && test -n "$TORCH_VERSION" \
    && /opt/toonbot/bin/pip install --no-cache-dir --index-url "$TORCH_INDEX_URL" \
        "torch==${TORCH_VERSION}"
COPY . /src
RUN /opt/toonbot/bin/pip install --no-cache-dir "/src${EXTRAS:+[$EXTRAS]}" \
    && if [ -n "$ONNXRUNTIME" ]; then \
        /opt/toonbot/bin/pip uninstall -y onnxruntime \
        && /opt/toonbot/bin/pip install --no-cache-dir "$ONNXRUNTIME"; \
    fi \
    && /opt/toonbot/bin/toonbot --version

FROM ${PYTHON_IMAGE}
# sqlite3: online backups from inside the container (README "Backup").
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends sqlite3 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 toonbot \
    && useradd --system --uid 10001 --gid toonbot --home-dir /data --shell /usr/sbin/nologin toonbot \
    && install -d -o toonbot -g toonbot -m 700 /data \
    && install -d -m 755 /etc/toonbot
COPY --from=build /opt/toonbot /opt/toonbot
# The shipped defaults; mount your own config.toml over it (read-only is enough).
COPY config.toml /etc/toonbot/config.toml
COPY deploy/healthcheck.py /opt/toonbot/healthcheck.py
ENV PATH=/opt/toonbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TOONBOT_CONFIG=/etc/toonbot/config.toml \
    TOONBOT_DATA_DIR=/data \
    MALLOC_ARENA_MAX=2
USER 10001:10001
# Relative paths in config.toml land in the volume too.
WORKDIR /data
# Passes when [metrics] port = 0 (nothing to ask); with metrics on it fetches /metrics.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "/opt/toonbot/healthcheck.py"]
ENTRYPOINT ["toonbot"]
CMD ["run"]
