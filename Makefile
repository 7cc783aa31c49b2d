# The project's checks. `make test` is what CI runs (through .ci/run).
GO ?= go

.PHONY: test vet fmt race fuzz bench-echo bench-http

test: fmt vet race

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

race:
	$(GO) test -race -count=1 -timeout 15m ./...

# A short fuzzing pass over every parser (the corpora under testdata/fuzz
# also run as plain tests in `make test`).
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzDecode$$' -fuzztime=30s ./protocols/text/
	$(GO) test -run='^$$' -fuzz='^FuzzDecode$$' -fuzztime=30s ./protocols/frame/
	$(GO) test -run='^$$' -fuzz='^FuzzRoundTrip$$' -fuzztime=30s ./protocols/text/
	$(GO) test -run='^$$' -fuzz='^FuzzRoundTrip$$' -fuzztime=30s ./protocols/frame/

# Echo throughput and idle memory per connection, side by side (bench/README.md).
bench-echo:
	$(GO) run ./bench/cmd/compare

# HTTP "Hello, World!" requests/s and server CPU per request with wrk, side by
# side: ours, net/http and a minimal gnet responder (bench/README.md).
bench-http:
	$(GO) run ./bench/cmd/compare http
