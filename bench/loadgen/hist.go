package loadgen

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"time"
)

// Hist is a log-linear latency histogram in nanoseconds: 16 linear
// sub-buckets per power of two, so any recorded value is reported within
// about 6% of its true value. Recording is a few instructions and allocates
// nothing. The zero value is ready to use. Not safe for concurrent use.
type Hist struct {
	counts [histBuckets]uint64
	total  uint64
	max    uint64
}

const (
	histSubBits = 4
	histSub     = 1 << histSubBits
	histBuckets = (64 - histSubBits + 1) * histSub // 976
)

func histIndex(v uint64) int {
	if v < 2*histSub {
		return int(v)
	}
	e := bits.Len64(v) - 1 // position of the top bit, >= histSubBits+1
	m := (v >> uint(e-histSubBits)) & (histSub - 1)
	return (e-histSubBits+1)*histSub + int(m)
}

// histBounds returns the smallest and largest value mapped to bucket i.
func histBounds(i int) (lo, hi uint64) {
	if i < 2*histSub {
		return uint64(i), uint64(i)
	}
	e := i/histSub + histSubBits - 1
	m := uint64(i % histSub)
	shift := uint(e - histSubBits)
	lo = (histSub + m) << shift
	hi = lo + (1 << shift) - 1
	return lo, hi
}

// Record adds one observation.
func (h *Hist) Record(d time.Duration) {
	v := uint64(0)
	if d > 0 {
		v = uint64(d)
	}
	h.counts[histIndex(v)]++
	h.total++
	if v > h.max {
		h.max = v
	}
}

// Merge adds all observations of o to h.
func (h *Hist) Merge(o *Hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	if o.max > h.max {
		h.max = o.max
	}
}

// Count is the number of observations.
func (h *Hist) Count() uint64 { return h.total }

// Max is the largest observation.
func (h *Hist) Max() time.Duration { return time.Duration(h.max) }

// Quantile returns the q-quantile (0 < q <= 1) as the midpoint of the bucket
// holding it, or 0 when the histogram is empty.
func (h *Hist) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q*float64(h.total) + 0.5)
	if rank < 1 {
		rank = 1
	}
	if rank > h.total {
		rank = h.total
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, hi := histBounds(i)
			mid := lo + (hi-lo)/2
			if mid > h.max {
				mid = h.max
			}
			return time.Duration(mid)
		}
	}
	return time.Duration(h.max)
}

// histJSON is the sparse wire form: [[bucket, count], ...] plus the max, so
// that a driver can merge the histograms of several load generator processes
// exactly.
type histJSON struct {
	Buckets [][2]uint64 `json:"buckets"`
	MaxNs   uint64      `json:"max_ns"`
}

// MarshalJSON implements json.Marshaler.
func (h *Hist) MarshalJSON() ([]byte, error) {
	out := histJSON{Buckets: [][2]uint64{}, MaxNs: h.max}
	for i, c := range h.counts {
		if c != 0 {
			out.Buckets = append(out.Buckets, [2]uint64{uint64(i), c})
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON implements json.Unmarshaler.
func (h *Hist) UnmarshalJSON(b []byte) error {
	var in histJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*h = Hist{max: in.MaxNs}
	for _, bc := range in.Buckets {
		if bc[0] >= histBuckets {
			return fmt.Errorf("loadgen: histogram bucket %d out of range", bc[0])
		}
		h.counts[bc[0]] += bc[1]
		h.total += bc[1]
	}
	return nil
}
