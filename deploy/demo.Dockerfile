# The demo app of docker-compose.yml, built once (`docker compose up` builds it)
# and run by every replica: each container gets this image's node_modules,
# installed for this image's Node and libc, never the host's.
#
# The active LTS line (Node.js Release WG: 26.x Active LTS from 2026-10-28;
# 24.x is Maintenance LTS). test/compose.test.ts checks the major against
# package.json "engines".
FROM node:26-bookworm

WORKDIR /app
# The lockfile alone decides the install (cached until it changes). npm pprof
# has no prebuilt binary: it compiles here, with the image's python3, make, g++.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# Only what the build and the demo read (.dockerignore keeps the host's
# node_modules and dist out of the build context as well).
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.js scripts/
COPY src src
COPY public public
COPY demo demo
RUN npm run build

USER node
ENV HOST=0.0.0.0 PORT=3000
EXPOSE 3000
# DEMO_FLAGS (e.g. "--leak --load") comes from the compose environment.
CMD ["sh", "-c", "exec node demo/server.js $DEMO_FLAGS"]
