// Command testtimes reads `go test -json` events on stdin, prints the
// human test output (each package's result line, the output of failed
// tests) as it comes, and at the end a table of the packages and of the
// slowest tests by elapsed time. .ci/run pipes the suite through it; run it
// on a saved file to compare two runs:
//
//	go run ./.ci/testtimes [-top N] < test.json
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

type event struct {
	Time    time.Time
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

type result struct {
	name    string
	action  string
	elapsed float64
}

func main() {
	top := flag.Int("top", 25, "how many of the slowest tests to list")
	quiet := flag.Bool("q", false, "print only the tables, not the test output")
	flag.Parse()
	if err := run(os.Stdin, os.Stdout, *top, !*quiet); err != nil {
		fmt.Fprintf(os.Stderr, "testtimes: %v\n", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer, top int, echo bool) error {
	var pkgs, tests []result
	held := map[string][]string{} // package/test -> output, printed if it fails
	var first, last time.Time
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			if echo {
				fmt.Fprintln(out, sc.Text()) // build errors are plain text
			}
			continue
		}
		if first.IsZero() || e.Time.Before(first) {
			first = e.Time
		}
		if e.Time.After(last) {
			last = e.Time
		}
		id := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			if e.Test == "" {
				if echo {
					fmt.Fprint(out, e.Output)
				}
			} else {
				held[id] = append(held[id], e.Output)
			}
		case "pass", "fail", "skip":
			if e.Test == "" {
				pkgs = append(pkgs, result{e.Package, e.Action, e.Elapsed})
				continue
			}
			if e.Action == "fail" && echo {
				fmt.Fprint(out, strings.Join(held[id], ""))
			}
			delete(held, id)
			if !strings.Contains(e.Test, "/") {
				tests = append(tests, result{e.Package + " " + e.Test, e.Action, e.Elapsed})
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading go test -json: %w", err)
	}
	table(out, "packages by elapsed time", pkgs, len(pkgs))
	table(out, "slowest top-level tests", tests, top)
	if !first.IsZero() {
		fmt.Fprintf(out, "\nwall clock from the first event to the last: %v\n", last.Sub(first).Round(time.Second))
	}
	n := map[string]int{}
	for _, r := range tests {
		n[r.action]++
	}
	fmt.Fprintf(out, "\ntests: %d passed, %d failed, %d skipped\n", n["pass"], n["fail"], n["skip"])
	return nil
}

func table(out io.Writer, title string, rs []result, n int) {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].elapsed > rs[j].elapsed })
	var sum float64
	for _, r := range rs {
		sum += r.elapsed
	}
	fmt.Fprintf(out, "\n%s (sum %.0f s):\n", title, sum)
	for i, r := range rs {
		if i == n {
			break
		}
		fmt.Fprintf(out, "%8.1f s  %-4s  %s\n", r.elapsed, r.action, r.name)
	}
}
