# syntax=docker/dockerfile:1.7
# butler-server image: multi-stage, Node LTS slim, non-root, read-only root filesystem (writable /tmp only),
# kubectl pinned and checksum-verified for the terminals, optional Butler Console build baked in.
#   make docker-build KUBECTL_SHA256=<sha256>                                  # built-in page only
#   make docker-build-all KUBECTL_SHA256=<sha256> CONSOLE_DIR=../butler-console # console baked in
# No HEALTHCHECK: Kubernetes probes /healthz and /readyz (deploy/base/deployment.yaml).
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile TypeScript, then keep production dependencies only (node-pty builds natively here).
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# ---- kubectl: a pinned release, verified against the sha256 given at build time (never trusted unverified).
FROM ${NODE_IMAGE} AS kubectl
ARG TARGETARCH
ARG KUBECTL_VERSION=v1.32.4
ARG KUBECTL_SHA256
RUN test -n "${KUBECTL_SHA256}" || { echo "build arg KUBECTL_SHA256 is required: the sha256 of kubectl ${KUBECTL_VERSION} linux/${TARGETARCH} (published next to the binary as kubectl.sha256)" >&2; exit 1; }
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
RUN curl -fsSLo /kubectl "https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/${TARGETARCH}/kubectl" \
 && echo "${KUBECTL_SHA256}  /kubectl" | sha256sum -c - \
 && chmod 0755 /kubectl

# ---- console: replaced by `--build-context console=<console build output>`; a placeholder by default.
FROM scratch AS console
COPY deploy/docker/no-console/ /

# ---- runtime
FROM ${NODE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=kubectl /kubectl /usr/local/bin/kubectl
COPY --from=console / ./console/
# Set to /app/console by docker-build-all; empty means the built-in page.
ARG BUTLER_STATIC_DIR=""
ENV NODE_ENV=production \
    HOME=/tmp \
    TMPDIR=/tmp \
    BUTLER_STATIC_DIR=${BUTLER_STATIC_DIR}
# Numeric UID/GID so runAsNonRoot can verify it; the app files stay owned by root and read-only.
USER 10001:10001
EXPOSE 8080 9090
# tini is PID 1: it forwards SIGTERM to node and reaps the terminals' orphaned shells.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/src/main.js"]
CMD ["-addr", ":8080"]
