package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// tuneGC trades memory for time: a render is a short batch that builds
// everything, writes it and exits, so collecting garbage often is wasted
// work. Below a soft memory limit of 768 MiB the collector does not run at
// all: a render of a thousand tenants allocates less than that in all and
// exits (collecting it as it went, at five times the live heap, was a
// tenth of its CPU). Past the limit, the heap may grow to four times what
// is live: the limit follows the live heap (it is raised after every
// collection that finds more live than a quarter of it). A fixed limit
// below the live heap makes the collector run back to back, which at
// 10,000 tenants took a render from about 50 seconds to 160-210, and a
// limit of 1.5 times the live heap kept it collecting during most of the
// encoding (41 s against 29 s at 4 times, peak RSS 1.5 against 2.9 GB).
// GOGC and GOMEMLIMIT, when set, win; with a GOMEMLIMIT of the user's
// alone, the heap may grow to five times what is live below it.
func tuneGC() {
	gogc, limit := os.Getenv("GOGC") == "", os.Getenv("GOMEMLIMIT") == ""
	switch {
	case gogc && limit:
		debug.SetGCPercent(-1) // the memory limit alone starts a collection
	case gogc:
		debug.SetGCPercent(400)
	}
	if limit {
		debug.SetMemoryLimit(minMemoryLimit)
		followLiveHeap()
	}
}

// minMemoryLimit is the soft memory limit until the live heap passes a
// quarter of it (1,000 tenants allocate about 320 MiB in all).
const minMemoryLimit = 768 << 20

// followLiveHeap raises the memory limit after each collection to four
// times the live heap, never lowering it.
func followLiveHeap() {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	limit := int64(minMemoryLimit)
	var arm func()
	arm = func() {
		// a finalizer runs after the collection that found its object
		// unreachable: once per cycle, re-armed each time
		runtime.SetFinalizer(new([16]byte), func(*[16]byte) {
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				if want := int64(sample[0].Value.Uint64()) * 4; want > limit {
					limit = want
					debug.SetMemoryLimit(limit)
				}
			}
			arm()
		})
	}
	arm()
}
