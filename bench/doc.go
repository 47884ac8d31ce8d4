// Package bench holds the platform-scale benchmarks of the whole pipeline
// (load and validate, render, encode, end to end) over specs from specgen.
// Run them with `make bench` and compare runs with benchstat.
package bench
