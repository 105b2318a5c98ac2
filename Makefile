# Thin wrappers over the npm scripts, with the target names operators of the Go server already type.
# make run ARGS="--kubeconfig ~/.kube/config"      make build-all CONSOLE_DIR=../butler-console
.PHONY: run dev build build-all console test lint docker-build docker-build-all deploy-render

ARGS ?=
CONSOLE_DIR ?= ../butler-console
CONSOLE_BUILD ?= $(CONSOLE_DIR)/dist
IMAGE ?= butler-server-ts:dev
# Stamped into the image (/app/REVISION) so that `butler-server --version` names the commit.
GIT_REVISION ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
KUBECTL_VERSION ?= v1.32.4
KUBECTL_SHA256 ?=
DOCKER ?= docker

run: build
	npm start -- $(ARGS)

dev:
	npm run dev -- $(ARGS)

build:
	npm run build

# The server plus a Butler Console build; run it with `make run ARGS="--static-dir $(CONSOLE_BUILD)"`.
build-all: build console

console:
	cd $(CONSOLE_DIR) && npm ci --no-audit --no-fund && npm run build
	@test -f $(CONSOLE_BUILD)/index.html || { echo "no index.html in $(CONSOLE_BUILD)" >&2; exit 1; }

test:
	npm test

lint:
	npm run lint

docker-build:
	$(DOCKER) build --build-arg KUBECTL_VERSION=$(KUBECTL_VERSION) --build-arg KUBECTL_SHA256=$(KUBECTL_SHA256) \
		--build-arg GIT_REVISION=$(GIT_REVISION) -t $(IMAGE) .

# The image with the console build baked in as the static directory.
docker-build-all: console
	$(DOCKER) build --build-arg KUBECTL_VERSION=$(KUBECTL_VERSION) --build-arg KUBECTL_SHA256=$(KUBECTL_SHA256) \
		--build-arg GIT_REVISION=$(GIT_REVISION) --build-context console=$(CONSOLE_BUILD) \
		--build-arg BUTLER_STATIC_DIR=/app/console -t $(IMAGE) .

deploy-render:
	kubectl kustomize deploy/
