FROM node:20.20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20.20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./
COPY --from=build /app/config ./config
# Without ENCRYPTION_KEY the service keeps a generated key in .data/: mount a volume there, or set the key.
RUN mkdir -p .data && chown node:node .data
USER node
EXPOSE 8000
CMD ["node", "dist/apps/api/main.js"]
