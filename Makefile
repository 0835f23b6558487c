# The two commands: `make start` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_OK := $(shell node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null && echo yes)

.PHONY: help check-node install build start stop test test-unit test-integration synth bench clean

help:
	@echo "make start   install what is missing, start the local stack and run the pipeline (Ctrl-C stops)"
	@echo "make test    install what is missing and run every test (unit, integration, CDKTF synth)"
	@echo "make synth   synthesise the CDKTF stacks into cdktf.out/"
	@echo "make bench   run the benchmarks (writes bench/results.json)"
	@echo "make stop    stop the local stack's servers"

check-node:
ifneq ($(NODE_OK),yes)
	@echo "error: Node.js 20 or newer is required (found: $$(node --version 2>/dev/null || echo none)); install it first" >&2; exit 1
endif

# Installs from the lockfile when it changed since the last install. `npm install` rather than
# `npm ci`: the lockfile cannot list the optional platform binaries of @swc/core and jest's
# resolver for other platforms here, and `npm ci` refuses a lockfile without them.
node_modules/.installed: package-lock.json | check-node
	npm install --no-audit --no-fund
	@touch $@

install: node_modules/.installed

build: install
	npx tsc -p tsconfig.json

# Two glibc malloc arenas, as sharp advises and as the Lambdas run (see `make bench`, memory).
start: build
	MALLOC_ARENA_MAX=2 node bin/ingest.js start

stop: build
	node bin/ingest.js stack down

# Fault tests freeze and restart shared servers, so they run alone and in band after the rest.
# --forceExit only there: after a broker restart, a kafkajs consumer keeps one socket open
# past disconnect() (kafkajs issue #1147), which would hold jest until Kafka idles it out.
test: build
	npx jest --ci --selectProjects unit integration
	npx jest --ci --selectProjects faults --runInBand --forceExit
	$(MAKE) --no-print-directory synth

test-unit: build
	npx jest --ci --selectProjects unit

test-integration: build
	npx jest --ci --selectProjects integration

synth: build
	node dist/cdktf/main.js

bench: build
	node --expose-gc dist/bench/run.js

clean:
	rm -rf dist cdktf.out
