# Every target installs what it needs: Node 24 and the npm packages (npm ci installs exactly the
# lockfile and puts the `node` package's binary in node_modules/.bin, which npm run and this PATH
# put first) and the Go-built
# control plane (cached outside the repo by hack/plane).
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
# One test file at a time: the integration files share one plane, and one of them restarts its
# API server.
JEST := node --experimental-vm-modules node_modules/jest/bin/jest.js --maxWorkers=1

# The Go-built tools (control plane, sensor-render) are built before Jest starts, so a cold
# build is never raced against a test timeout.
.PHONY: deps plane sensor-render build typecheck lint format test test-unit test-integration run demo bench soak clean
.PHONY: image test-image test-node tools release

deps: node_modules/.deps-stamp
node_modules/.deps-stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@node --version | grep -q '^v24\.' || { echo "node_modules/.bin/node is not Node 24"; exit 1; }
	@touch $@

# As root the node's binaries and images are built too (hack/node): the node tests need them.
plane:
	hack/plane build $$([ "$$(id -u)" = 0 ] && echo --node)

# helm, promtool and gopher-lua for the chart, alert and health-check tests (cached by version).
tools:
	hack/tool path helm > /dev/null
	hack/tool path promtool > /dev/null
	hack/tool path glua > /dev/null

sensor-render:
	hack/sensor-render --validate config/argo-events/sensor.yaml > /dev/null

# dist/operator.mjs, the bundle the operator runs from (esbuild.config.mjs); dist/src and
# dist/bench, the compiled sources the benchmark's own tools run from.
build: deps
	tsc -p tsconfig.build.json
	node esbuild.config.mjs

typecheck: deps
	tsc -p tsconfig.json --noEmit

lint: deps
	eslint .
	prettier --check .

format: deps
	prettier --write .

test: deps plane sensor-render tools image typecheck lint build
	$(JEST)

test-image: deps plane image
	$(JEST) --selectProjects image

# The tests on a real node (root): each file starts a plane with a node of its own.
test-node: deps plane tools image build
	$(JEST) --selectProjects node

test-unit: deps
	UNIT_ONLY=1 $(JEST) --selectProjects unit

test-integration: deps plane sensor-render tools build
	$(JEST) --selectProjects integration e2e upgrade

# hack/run builds and starts the plane only when KUBECONFIG is unset.
run: build
	hack/run

# NODE=1 (root): on a real node, the play's stages running as container steps.
demo: build plane sensor-render
	NODE=$(NODE) hack/demo

bench: build plane
	node dist/bench/run.js

# The operator's image, built with the local container engine (set up when needed); the last
# line of output is the image reference (IMAGE=… sets it).
image: deps
	hack/image

# The release artifacts of package.json's version in dist/release/VERSION: the image (and its
# SBOM), the chart package and the CRD bundle, reproducibly (hack/release/release --verify checks).
release: deps tools
	hack/release/release

# The chaos soak: SOAK_SECONDS (default 300) of GitHub histories and faults, then the invariants.
# NODE=1 (root): the operator is the chart's Deployment on a real node (the image make image builds).
soak: build plane sensor-render $(if $(filter 1,$(NODE)),image)
	NODE=$(NODE) node dist/soak/run.js

clean:
	rm -rf dist coverage
