//go:build race

package main

// raceEnabled: the race detector slows the whole system several times; the closed-loop test runs
// in the test command's separate pass without it.
const raceEnabled = true
