# The project's checks. `make test` is what CI runs (through .ci/run).
# bench/ is a module of its own: every check covers it too.
GO ?= go
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: test vet fmt staticcheck cross race allocs fuzz bench-echo bench-http bench-sse bench-ws bench-fanout bench-sse100k bench-idle bench-tls bench-h2 screenshots charts

test: fmt vet staticcheck cross race allocs

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	cd bench && $(GO) vet ./...

staticcheck:
	$(STATICCHECK) ./...
	cd bench && $(STATICCHECK) ./...

# The engine runs on Linux and the other systems gnet supports: the code
# must build for macOS and vet for Windows (where the command line's stop
# and status, which need Unix signals, answer an error).
cross:
	GOOS=darwin $(GO) build ./...
	GOOS=windows $(GO) vet ./...

race:
	$(GO) test -race -count=1 -timeout 15m ./...
	cd bench && $(GO) test -race -count=1 -timeout 15m ./...

# Allocation counts, without the race detector (under it sync.Pool drops
# items on purpose, so the counts mean nothing).
allocs:
	$(GO) test -count=1 -run 'Alloc|NotAllocate' ./...

# A short fuzzing pass over every fuzz target (the corpora under
# testdata/fuzz also run as plain tests in `make test`). FUZZTIME=2m for longer.
FUZZTIME ?= 30s
FUZZ_TARGETS = \
	./protocols/text/:FuzzDecode ./protocols/text/:FuzzRoundTrip \
	./protocols/frame/:FuzzDecode ./protocols/frame/:FuzzRoundTrip \
	./protocols/http/:FuzzParse ./protocols/http/:FuzzChunked ./protocols/http/:FuzzServerCodec ./protocols/http/:FuzzH2RequestHead \
	./protocols/http/internal/h2frame/:FuzzParse \
	./protocols/sse/:FuzzParse ./protocols/sse/:FuzzRoundTrip \
	./protocols/websocket/wsframe/:FuzzFrames ./protocols/websocket/wsframe/:FuzzInflate ./protocols/websocket/wsframe/:FuzzUTF8 \
	./examples/json-protocol/jsonproto/:FuzzDecode ./examples/json-protocol/jsonproto/:FuzzRoundTrip \
	./pubsub/redisbroker/:FuzzDecodeLive ./pubsub/gateway/:FuzzDecode ./pubsub/publishapi/:FuzzParseSignature \
	./worker/:FuzzMisplacedFlag ./examples/cluster-chat/:FuzzAuthorCookie
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name in $$pkg"; \
		$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	done

# Echo throughput and idle memory per connection, side by side (bench/README.md).
bench-echo:
	cd bench && $(GO) run ./cmd/compare

# HTTP "Hello, World!" requests/s and server CPU per request with wrk, side by
# side: ours, net/http and a minimal gnet responder (bench/README.md).
bench-http:
	cd bench && $(GO) run ./cmd/compare http

# Server-Sent Events: idle memory per stream, CPU of 10,000 streams × 1
# event/s, fan-out latency and delivered events/s, ours against net/http
# with a goroutine per stream (bench/README.md).
bench-sse:
	cd bench && $(GO) run ./cmd/compare sse

# WebSocket: echo messages/s and server CPU per message with 1,000 clients,
# idle memory per connection with 10,000, broadcast latency and delivered
# messages/s to 1,000 and 10,000 clients, ours against gorilla/websocket on
# net/http with a goroutine per connection (bench/README.md).
bench-ws:
	cd bench && $(GO) run ./cmd/compare ws

# Scale-out: fan-out latency and events/s to 10,000 SSE streams, one process
# with the in-memory broker against two processes sharing a Redis
# (pubsub/redisbroker); needs redis-server (bench/README.md).
bench-fanout:
	cd bench && $(GO) run ./cmd/compare fanout

# TLS on the event loops against net/http's TLS server (HTTP/1.1), side by
# side: keep-alive requests/s over https (wrk), new handshakes/s, RSS per idle
# TLS connection and per idle TLS event stream at 10,000 (bench/README.md).
bench-tls:
	cd bench && $(GO) run ./cmd/compare tls

# HTTP/2 on the event loops against net/http's HTTP/2 server, side by side:
# RSS per idle event stream and server CPU for 10,000 streams × 1 event/s,
# both over 100 TLS connections (ALPN h2), and hello requests/s with h2load
# over TLS and h2c (bench/README.md). Needs h2load (Debian's nghttp2-client).
bench-h2:
	cd bench && $(GO) run ./cmd/compare h2

# Idle CPU and wake-ups over 10 s, ours against net/http (schedstat of all
# threads; Linux).
bench-idle:
	bash bench/idle.sh 10

# 100,000 concurrent SSE streams over 8 server processes (ReusePort) sharing
# a Redis: RSS per stream, CPU per event, publish to last receipt.
bench-sse100k:
	cd bench && $(GO) run ./cmd/compare sse100k

# The pictures of the documentation, refreshed by hand (not by `make test`):
# the screenshots the page tests take at the moment worth showing
# (docs/img/<example>.png, see browsertest.Page.Screenshot; needs the
# browser), and the benchmark charts drawn from bench/results/
# (docs/img/bench-*.svg, bench/cmd/charts).
screenshots:
	mkdir -p docs/img
	BROWSERTEST_SCREENSHOTS=$(CURDIR)/docs/img $(GO) test -count=1 -run Browser ./examples/...

charts:
	cd bench && $(GO) run ./cmd/charts
