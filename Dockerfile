# Builds the console into a small image; used by docker-compose.yml.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin artifact-console

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/artifact-console --create-home console
COPY --from=build /src/target/release/artifact-console /usr/local/bin/artifact-console
USER console
WORKDIR /var/lib/artifact-console
ENV BIND=0.0.0.0:8080 DATA_DIR=/var/lib/artifact-console
EXPOSE 8080
ENTRYPOINT ["artifact-console"]
CMD ["serve"]
