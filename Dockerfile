# syntax=docker/dockerfile:1
# storefront-bff: release build on the official Rust image, run on Debian slim as a non-root user.
#
#   docker build -t storefront-bff .
#   docker run --rm -p 4000:4000 storefront-bff          # demo: in-process Commerce sandbox
#
# Configuration: BFF_ + the key path with `__` between sections (e.g. BFF_COMMERCE__GRAPHQL_URL),
# or a mounted TOML file named by BFF_CONFIG.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS builder
WORKDIR /build
# `make` builds jemalloc, the binary's allocator (tikv-jemalloc-sys).
RUN apt-get update \
    && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*

# Dependency layer: the workspace manifests with stub sources, so that editing the project's
# code reuses the compiled crates.io dependencies. Members: ".", "sandbox", "crates/commerce-schema".
COPY Cargo.toml Cargo.lock ./
COPY sandbox/Cargo.toml sandbox/
COPY crates/commerce-schema/Cargo.toml crates/commerce-schema/
RUN mkdir -p src sandbox/src crates/commerce-schema/src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs sandbox/src/lib.rs crates/commerce-schema/src/lib.rs \
    && cargo build --release --locked --bin storefront-bff \
    && rm -rf src sandbox/src crates/commerce-schema/src

# The project's own code. COPY keeps the files' original times, which can be older than the
# stub build: touching each crate root makes cargo rebuild the three workspace crates.
COPY src src
COPY assets assets
COPY sandbox sandbox
COPY crates crates
RUN touch src/main.rs src/lib.rs sandbox/src/lib.rs crates/commerce-schema/src/lib.rs \
    && cargo build --release --locked --bin storefront-bff \
    && install -D --mode=0755 target/release/storefront-bff /out/storefront-bff

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/storefront-bff \
        --create-home --shell /usr/sbin/nologin storefront-bff
COPY --from=builder /out/storefront-bff /usr/local/bin/storefront-bff

USER storefront-bff:storefront-bff
# The default SQLite state store (sessions) is ./data here: mount a volume on
# /var/lib/storefront-bff/data to keep it, or set BFF_STORE__URL to PostgreSQL (docs/deploy.md).
WORKDIR /var/lib/storefront-bff
# server.listen defaults to 127.0.0.1:4000; a container must accept outside connections.
ENV BFF_SERVER__LISTEN=0.0.0.0:4000
EXPOSE 4000

# No curl or wget in this image: `storefront-bff healthcheck` GETs /healthz on server.listen
# (0.0.0.0 probed as 127.0.0.1, so BFF_SERVER__LISTEN=0.0.0.0:8080 is followed) and exits 0 only
# on a success status; otherwise it says why (refused, timed out, HTTP status).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["storefront-bff", "healthcheck"]

ENTRYPOINT ["storefront-bff"]
CMD ["serve"]
