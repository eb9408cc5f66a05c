# The operator's image: Node 24 on a minimal non-root base and the operator's bundle,
# dist/operator.mjs, which holds every dependency it uses (no node_modules). `docker build .` pulls the default bases; `make image` builds the
# same file with stand-in bases made locally (hack/image), for machines without a registry.
ARG BUILD_IMAGE=docker.io/library/node:24-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot
# The release this source is (package.json's version; a test keeps them equal), the commit it was
# built from and that commit's time: the image's OCI labels and the operator's build info.
ARG VERSION=0.2.0
ARG REVISION=unknown
ARG CREATED=

FROM ${BUILD_IMAGE} AS build
# Behind a TLS-inspecting proxy, mount its CA bundle into the build and name it here.
ARG NODE_EXTRA_CA_CERTS
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: the npm `node` package's would download a second Node (the base has one),
# and esbuild runs from its platform package without its own.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY esbuild.config.mjs ./
COPY src ./src
ARG REVISION
RUN SOURCE_REVISION=${REVISION} node esbuild.config.mjs

FROM ${RUNTIME_IMAGE}
ARG VERSION
ARG REVISION
ARG CREATED
LABEL org.opencontainers.image.title="workflow-resume-operator" \
  org.opencontainers.image.description="Resumes suspended Argo Workflows when GitHub pull-request events arrive" \
  org.opencontainers.image.licenses="Apache-2.0" \
  org.opencontainers.image.version="${VERSION}" \
  org.opencontainers.image.revision="${REVISION}" \
  org.opencontainers.image.created="${CREATED}"
WORKDIR /app
COPY --from=build /src/dist/operator.mjs /src/dist/operator.mjs.map ./
USER 65532:65532
EXPOSE 8080
# The script is part of the entrypoint, so a Deployment's `args` are the operator's flags.
# The operator's Node.js flags and environment (src/node-flags.ts says why). Stack traces name
# bundle positions; NODE_OPTIONS=--enable-source-maps maps them to the sources, for about 10 MiB.
ENV MALLOC_TRIM_THRESHOLD_=131072
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=4", "--heap-growing-percent=50", "--expose-gc", "/app/operator.mjs"]
