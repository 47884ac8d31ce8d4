// Package parallel runs independent pieces of work on several goroutines.
package parallel

import "sync"

// ForEach calls fn for the indexes 0..n-1 on the given number of
// goroutines; worker (0..workers-1) tells fn which goroutine runs it, for
// state a goroutine may not share (a compiled schema).
func ForEach(n, workers int, fn func(worker, i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(w, i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
