# Multi-stage build of esports-matches: the binaries are compiled on
# debian:bookworm with the -dev packages and run on bookworm-slim with only
# the runtime libraries, as a non-root user.
FROM debian:bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
        build-essential pkg-config libfcgi-dev libmariadb-dev libjson-c-dev \
        librabbitmq-dev libcurl4-gnutls-dev libssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY libesports libesports
COPY fcgi fcgi
COPY consumer consumer
COPY tools tools
RUN make -j"$(nproc)" all

# nginx with Debian's nchan module (live push, /live/matches): a module
# package loads only into the nginx it was built with, so this is Debian's
# nginx, not the official image. docker-compose builds it as target "nginx".
FROM debian:bookworm-slim AS nginx
RUN apt-get update && apt-get install -y --no-install-recommends nginx libnginx-mod-nchan \
    && rm -rf /var/lib/apt/lists/* \
    && rm -f /etc/nginx/sites-enabled/default
COPY tools/render-nginx /usr/local/bin/render-nginx
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
        libfcgi0ldbl libmariadb3 libjson-c5 librabbitmq4 libcurl3-gnutls libssl3 \
        spawn-fcgi multiwatch ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /app --shell /usr/sbin/nologin esports
WORKDIR /app
COPY --from=build /src/build/esports-fcgi /src/build/esports-consumer /src/build/migrate /src/build/send_msg* /app/bin/
COPY migrations /app/migrations
COPY templates /app/templates
COPY static /app/static
USER esports
ENV FCGI_WORKERS=4 TEMPLATES_DIR=/app/templates
EXPOSE 9000
CMD ["sh", "-c", "exec spawn-fcgi -n -a 0.0.0.0 -p 9000 -- /usr/bin/multiwatch -f \"$FCGI_WORKERS\" -- /app/bin/esports-fcgi"]
