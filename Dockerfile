# The platform's production image: `docker build -t countercyclical .` (or `docker compose up`).
# Node 22 LTS; the app also runs on Node 20.19+ and 24 (package.json "engines").
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
WORKDIR /app
# Production refuses to start without WEBHOOK_SECRET_KEY (it encrypts webhook signing secrets at rest).
ENV NODE_ENV=production PORT=3000
# Owned by root and only readable by the app's user: the running process cannot rewrite its own code.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1's only process (no npm or shell in between), so `docker stop` (SIGTERM) reaches it.
CMD ["node", "--max-old-space-size=256", "--max-semi-space-size=8", "dist/src/main.js"]
