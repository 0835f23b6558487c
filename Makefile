# The two commands: `make start` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Node.js 24 LTS for every step: the machine's node when it is 22 or newer, else the official
# build installed from the npm registry into .local/node (one line on stderr says which).
NODE_BIN := $(shell bash local/node/ensure-node.sh)
ifeq ($(NODE_BIN),)
$(error no Node.js 22+ could be found or installed; see the line above)
endif
export PATH := $(NODE_BIN):$(PATH)
export ENSURE_NODE_QUIET := 1

.PHONY: help install build start stop test test-unit test-integration synth bench bench-dashboard capacity soak soak-short soak-measure clean

help:
	@echo "make start   install what is missing, start the local stack and run the pipeline (Ctrl-C stops)"
	@echo "make test    install what is missing and run every test (unit, integration, CDKTF synth)"
	@echo "make synth   synthesise the CDKTF stacks into cdktf.out/"
	@echo "make bench   run the benchmarks (writes bench/results.json)"
	@echo "make capacity  rates, first bottleneck and settings for a target (ARGS=\"--target=1000 --peak=5000\")"
	@echo "make soak    bounded workload under seeded faults on its own stand-ins (SOAK_EVENTS, SOAK_SEED; writes soak/results.json)"
	@echo "make soak-short  the 200-image soak with three faults that make test runs"
	@echo "make soak-measure  moto DynamoDB call latency by table size, on a throwaway moto (SIZES=1000,5000)"
	@echo "make stop    stop the local stack's servers"

# Installs exactly the lockfile (every platform's optional binaries are listed in it) when it
# changed since the last install; `npm ci` never rewrites it, so a clone stays clean.
node_modules/.installed: package-lock.json $(wildcard patches/*.patch)
	npm ci --no-audit --no-fund
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
	$(MAKE) --no-print-directory soak-short
	$(MAKE) --no-print-directory synth

test-unit: build
	npx jest --ci --selectProjects unit

test-integration: build
	npx jest --ci --selectProjects integration

synth: build
	node dist/cdktf/main.js

bench: build
	node --expose-gc dist/bench/run.js

# The soak (docs/soak.md): its own 3-broker cluster and moto processes on free ports, chaos, a checker.
soak: build
	node dist/soak/run.js

# The short soak `make test` runs: 200 images, three faults of different kinds, at most 10 min of
# soak (SOAK_MAX_SECONDS) and 15 min in all (`timeout` ends it; its exit hook kills every child).
# Prints the checker's table and fails when lost, duplicated or stuck is not 0.
soak-short: build
	SOAK_EVENTS=200 SOAK_SEED=13 SOAK_FAULT_KINDS=kill-stream-runner,kill-partition-leader,freeze-moto-dynamodb SOAK_MAX_SECONDS=600 \
		timeout --kill-after=30 900 node dist/soak/run.js

# How moto's DynamoDB cost per call grows with the table (docs/soak.md): its own throwaway moto on a
# free port, stopped after. SIZES=1000,5000 to change the table sizes.
soak-measure: build
	node dist/soak/measure-dynamodb.js $(SIZES)

# The dashboard phase of `make bench` alone: in-process, no servers.
bench-dashboard: build
	node dist/bench/dashboard.js

# The capacity model (docs/capacity.md): arithmetic only, no servers.
capacity: build
	node dist/bench/capacity/run.js $(ARGS)

clean:
	rm -rf dist cdktf.out
