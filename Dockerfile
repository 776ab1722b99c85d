# Ringback: the server runs its TypeScript directly with Node 24's type stripping, so the image
# holds src/ and the runtime dependencies only (no TypeScript). The one build step is the web app:
# Vite (a runtime dependency for that reason) builds web/ into web/dist, which the server serves
# at `/`.
#
#   docker build -t ringback .
#   docker run -d --name ringback --stop-timeout 30 -p 3000:3000 -v ringback-data:/app/data ringback
#
# Without DATABASE_URL it uses embedded SQLite in /app/data (keep that volume). With DATABASE_URL
# (PostgreSQL) run `start --role web` and `start --role worker` containers; see docs/deploy.md.
FROM node:24-bookworm-slim

WORKDIR /app

# Runtime dependencies only, exactly as locked. No dependency has an install script, so the slim
# image needs no compiler. --ignore-scripts skips our own postinstall (scripts/ is not in the
# build context); the next step does the same build with Vite's API.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# The web app, built from source in the image (a web/dist from the build context is replaced).
COPY web ./web
RUN rm -rf web/dist \
 && node --input-type=module -e "const { build } = await import('vite'); await build({ configFile: 'web/vite.config.ts', logLevel: 'warn' });" \
 && test -f web/dist/index.html

COPY src ./src

# The data directory (SQLite database, secret.key, cli-api-key, simulator record) belongs to the
# unprivileged `node` user (uid 1000) that ships with the base image. A new named volume mounted
# here starts with this owner and mode; a bind mount must be owned by uid 1000.
RUN mkdir -p /app/data \
 && chown node:node /app/data \
 && chmod 0700 /app/data

USER node

VOLUME /app/data
EXPOSE 3000

# `ringback start` drains on SIGTERM for up to RINGBACK_SHUTDOWN_TIMEOUT_MS (25 s by default).
# Docker's default stop timeout is 10 s: use `docker stop -t 30`, `--stop-timeout 30`, or
# `stop_grace_period: 30s` in compose.
STOPSIGNAL SIGTERM

# Liveness: /healthz answers while the process is up (web and worker roles alike).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.RINGBACK_PORT || process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["node", "src/cli.ts"]
CMD ["start"]
