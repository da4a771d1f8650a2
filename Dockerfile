# One image for every service; the Helm chart picks the service with `npm run start:<service>`
# (the default command runs the embedded engine, as `npm start` does).
# Not built on the development machine (it has no container engine): build it in CI or locally
# with `docker build -t sluice .`.
FROM node:20.20.2-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# Dependencies first (the layer is reused while the lock file does not change). The services
# run compiled (`npm run build` into dist/, done here since the image's user cannot write /app;
# the start scripts' build step then finds nothing to do); the CLIs (migrate) run their
# TypeScript sources through @swc-node/register, so dev dependencies stay.
COPY package.json package-lock.json nx.json tsconfig.base.json ./
COPY tools ./tools
COPY apps ./apps
COPY libs ./libs
COPY config ./config
RUN npm ci --include=dev --no-audit --no-fund && npm cache clean --force && npm run build \
  && mkdir -p /app/.sluice && chown node:node /app/.sluice
USER node
EXPOSE 8080 9090
CMD ["npm", "start"]
