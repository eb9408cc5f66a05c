# The operator's image: Node 24 on a minimal non-root base, the compiled operator and its
# production dependencies only. `docker build .` pulls the default bases; `make image` builds the
# same file with stand-in bases made locally (hack/image), for machines without a registry.
ARG BUILD_IMAGE=docker.io/library/node:24-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

FROM ${BUILD_IMAGE} AS build
# Behind a TLS-inspecting proxy, mount its CA bundle into the build and name it here.
ARG NODE_EXTRA_CA_CERTS
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: the only one is the npm `node` package's, which would download a second
# Node; the base has one.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json \
  && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/node node_modules/.bin

FROM ${RUNTIME_IMAGE}
LABEL org.opencontainers.image.title="workflow-resume-operator" \
  org.opencontainers.image.description="Resumes suspended Argo Workflows when GitHub pull-request events arrive" \
  org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
USER 65532:65532
EXPOSE 8080
# The script is part of the entrypoint, so a Deployment's `args` are the operator's flags.
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/src/main.js"]
