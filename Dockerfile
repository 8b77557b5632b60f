# syntax=docker/dockerfile:1
#
# One image for all seven netops functions. `netops run` picks the function from NETOPS_TARGET
# (or --target), so OpenFaaS (stack.yml) and Knative (knative/) deploy this same image seven times,
# as Loki and Mimir run one binary per target.
#
#   docker build --build-arg VERSION=$(git describe --always) -t ghcr.io/netopsfn/netops:dev .
#   docker run --rm -p 8080:8080 -e NETOPS_TARGET=model-server \
#     -e NETOPS_NATS_URL=nats://nats:4222 -e NETOPS_STORE='s3://netops?endpoint=minio:9000' \
#     ghcr.io/netopsfn/netops:dev
#
# deploy/validate runs the two `go build` commands below verbatim (flags and environment included)
# and checks that what they produce is static and starts, since CI cannot run Docker.

ARG GO_VERSION=1.26

# ---- build: the static binaries, cross-compiled on the build platform (buildx / faas-cli publish)
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags="-s -w -X main.version=$VERSION" -o /out/netops ./cmd/netops
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -C deploy/healthcheck -trimpath -ldflags="-s -w" -o /out/healthcheck .

# ---- runtime: no shell, no package manager, CA certificates and tzdata only; uid 65532
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/netops /out/healthcheck /usr/local/bin/
# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 65532:65532
# Nothing is written to the image's file system (it runs read-only): state lives in NATS and the
# object store. JSON logs for the cluster's log collector.
ENV PORT=8080 \
    NETOPS_LOG_FORMAT=json
EXPOSE 8080
# The OpenFaaS workload contract's liveness path; readiness is /_/ready (and /healthz, /readyz).
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/healthcheck", "/_/health"]
ENTRYPOINT ["/usr/local/bin/netops"]
CMD ["run"]
