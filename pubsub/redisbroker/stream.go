package redisbroker

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// A topic's messages are the entries of a Redis Stream whose ids the
// broker chooses: "<ms>-<n>", ms the Redis server's clock in milliseconds
// (never going back within a stream) and n the entry's number in the
// stream's life, counted up by one from a random number (below 2^31)
// chosen when the stream was made. So:
//
//   - ids are ordered by time, and MINID trims by age;
//   - the entry after <ms>-<n> is the one numbered n+1: whether entries
//     were trimmed after a position is known from the oldest entry kept,
//     without keeping the trimmed ones;
//   - the first entry of a stream's life has a field "l", so a reader that
//     saw no stream knows whether it missed entries of the one made since;
//   - a stream made again (Redis lost its data, or the key expired)
//     counts from a new start, so an id of its earlier life does not match
//     an entry of this one (but by a chance of about one in 2^31).
//
// A message's Seq is ms<<22 | n mod 2^22 (increasing with the id: a
// stream's script never gives two ids of the same ms whose n wrap around
// 2^22), so Seqs keep increasing across the lives of a stream, as long as
// the Redis clock does (until the year 2109).

// streamID is a stream entry id.
type streamID struct{ ms, n uint64 }

// seqBits is the part of a Seq that holds n.
const seqBits = 22

// parseID parses "<ms>-<n>" (decimal, no sign, no leading zeros but for
// 0 itself, as Redis writes them).
func parseID(s string) (streamID, bool) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return streamID{}, false
	}
	ms, ok1 := parseDecimal(a)
	n, ok2 := parseDecimal(b)
	if !ok1 || !ok2 || ms >= 1<<(64-seqBits) {
		return streamID{}, false
	}
	return streamID{ms, n}, true
}

func parseDecimal(s string) (uint64, bool) {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil
}

func (id streamID) String() string {
	return strconv.FormatUint(id.ms, 10) + "-" + strconv.FormatUint(id.n, 10)
}

func (id streamID) less(o streamID) bool {
	return id.ms < o.ms || id.ms == o.ms && id.n < o.n
}

// seq is the message's pubsub Seq.
func (id streamID) seq() uint64 { return id.ms<<seqBits | id.n&(1<<seqBits-1) }

// publishScript appends a message to a topic's stream with the next id,
// trims the stream by count and age, refreshes its expiry, and publishes
// the message on the topic's channel for the live readers.
//
// KEYS[1]: the stream. ARGV: channel, max length, age (ms), key TTL (ms),
// event, data, the number of the first entry if the stream is new.
// Returns the id.
var publishScript = redis.NewScript(`
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = tonumber(ARGV[7])
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #last > 0 then
  local lms, ln = string.match(last[1][1], '^(%d+)-(%d+)$')
  lms = tonumber(lms)
  n = tonumber(ln) + 1
  if lms >= ms then
    ms = lms
    if n % 4194304 == 0 then ms = lms + 1 end
  end
end
if #last == 0 then
  -- A new life starts after every entry of an earlier one (those of the
  -- same millisecond included), as far as this clock knows.
  ms = ms + 1
end
local id = string.format('%d-%d', ms, n)
if #last > 0 then
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], id, 'e', ARGV[5], 'd', ARGV[6])
else
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], id, 'e', ARGV[5], 'd', ARGV[6], 'l', '1')
end
redis.call('XTRIM', KEYS[1], 'MINID', '~', string.format('%d', ms - tonumber(ARGV[3])))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PUBLISH', ARGV[1], id .. ' ' .. string.len(ARGV[5]) .. ' ' .. ARGV[5] .. ARGV[6])
return id
`)

// rangeScript reads a topic's stream after a position, and says whether
// the entries after it are all still there.
//
// KEYS[1]: the stream. ARGV[1]: the position ("" from the oldest kept; "$"
// only the newest id), ARGV[2]: the most entries to return (0: all).
// Returns {status, newest id, entries}: status "ok", or the reason of a
// gap ("missing": no stream, "ahead": the position is newer than the
// newest entry, "trimmed": entries after it are gone, "unknown": no such
// entry); the newest id is "0-0" for no stream.
var rangeScript = redis.NewScript(`
local function parse(id)
  local a, b = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(a), tonumber(b)
end
local function before(am, an, bm, bn)
  return am < bm or (am == bm and an < bn)
end
local pos = ARGV[1]
local count = {}
if tonumber(ARGV[2]) > 0 then count = {'COUNT', ARGV[2]} end
local lastE = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #lastE == 0 then
  if pos == '' or pos == '$' or pos == '0-0' or string.sub(pos, 1, 6) == 'since:' then return {'ok', '0-0', {}} end
  return {'missing', '0-0', {}}
end
local last = lastE[1][1]
if pos == '$' then return {'ok', last, {}} end
if string.sub(pos, 1, 6) == 'since:' then
  return {'ok', last, redis.call('XRANGE', KEYS[1], string.sub(pos, 7), '+', unpack(count))}
end
if pos == '' then return {'ok', last, redis.call('XRANGE', KEYS[1], '-', '+', unpack(count))} end
if pos == '0-0' then
  local fields = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1][2]
  for i = 1, #fields, 2 do
    if fields[i] == 'l' then return {'ok', last, redis.call('XRANGE', KEYS[1], '-', '+', unpack(count))} end
  end
  return {'trimmed', last, redis.call('XRANGE', KEYS[1], '-', '+', unpack(count))}
end
local pm, pn = parse(pos)
local lm, ln = parse(last)
if pos == last then return {'ok', last, {}} end
if before(lm, ln, pm, pn) then return {'ahead', last, {}} end
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1][1]
local fm, fn = parse(first)
if before(pm, pn, fm, fn) then
  if pn + 1 ~= fn or pm > fm then return {'trimmed', last, redis.call('XRANGE', KEYS[1], '-', '+', unpack(count))} end
  return {'ok', last, redis.call('XRANGE', KEYS[1], '-', '+', unpack(count))}
end
if #redis.call('XRANGE', KEYS[1], pos, pos) == 0 then
  return {'unknown', last, redis.call('XRANGE', KEYS[1], '(' .. pos, '+', unpack(count))}
end
return {'ok', last, redis.call('XRANGE', KEYS[1], '(' .. pos, '+', unpack(count))}
`)

// rangeResult is what rangeScript returned.
type rangeResult struct {
	status  string // "ok", or why there is a gap
	last    streamID
	entries []entry
}

// entry is a stream entry, decoded.
type entry struct {
	id          streamID
	event, data string
}

// decodeRange decodes rangeScript's reply.
func decodeRange(v any) (rangeResult, error) {
	parts, ok := v.([]any)
	if !ok || len(parts) != 3 {
		return rangeResult{}, fmt.Errorf("redisbroker: unexpected reply %T from the range script", v)
	}
	status, _ := parts[0].(string)
	lastS, _ := parts[1].(string)
	last, ok := parseID(lastS)
	if status == "" || !ok {
		return rangeResult{}, fmt.Errorf("redisbroker: unexpected status %q, %q from the range script", parts[0], parts[1])
	}
	raw, _ := parts[2].([]any)
	res := rangeResult{status: status, last: last, entries: make([]entry, 0, len(raw))}
	for _, r := range raw {
		e, err := decodeEntry(r)
		if err != nil {
			return rangeResult{}, err
		}
		res.entries = append(res.entries, e)
	}
	return res, nil
}

// decodeEntry decodes one XRANGE entry: [id, [field, value, ...]].
func decodeEntry(v any) (entry, error) {
	pair, ok := v.([]any)
	if !ok || len(pair) != 2 {
		return entry{}, fmt.Errorf("redisbroker: unexpected stream entry %v", v)
	}
	idS, _ := pair[0].(string)
	id, ok := parseID(idS)
	if !ok {
		return entry{}, fmt.Errorf("redisbroker: stream entry id %q is not one of the broker's", pair[0])
	}
	fields, _ := pair[1].([]any)
	e := entry{id: id}
	for i := 0; i+1 < len(fields); i += 2 {
		k, _ := fields[i].(string)
		val, _ := fields[i+1].(string)
		switch k {
		case "e":
			e.event = val
		case "d":
			e.data = val
		}
	}
	return e, nil
}

// decodeLive decodes what publishScript publishes on a topic's channel:
// "<id> <length of the event> <event><data>".
func decodeLive(payload string) (entry, error) {
	idS, rest, ok1 := strings.Cut(payload, " ")
	lenS, rest, ok2 := strings.Cut(rest, " ")
	id, ok3 := parseID(idS)
	n, ok4 := parseDecimal(lenS)
	if !ok1 || !ok2 || !ok3 || !ok4 || n > uint64(len(rest)) {
		return entry{}, fmt.Errorf("redisbroker: malformed live message %.40q", payload)
	}
	return entry{id: id, event: rest[:n], data: rest[n:]}, nil
}
