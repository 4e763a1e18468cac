// Command compare runs the benchmarks' variants in interleaved rounds and
// prints, for each, the median ns/op with the spread across rounds, B/op,
// allocs/op and the ratio to the section's baseline (no-auth for the
// round trips, the hash alone for sign-in), each ratio taken within one
// round and then the median of those.
//
//	go run ./cmd/compare                    # about two and a half minutes on 2 cores
//	go run ./cmd/compare -rounds 15 -markdown
//
// PostgreSQL variants run when LATCH_TEST_POSTGRES names a server.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/latchauth/latch/benchmarks"
)

type section struct {
	title, baseline, ratioLabel string
	parallel                    bool
	// benchtime, when set, is this section's time per variant per
	// round instead of -benchtime.
	benchtime time.Duration
	variants  []benchmarks.Variant
	// baseOf, when set, names each variant's own baseline instead.
	baseOf func(name string) string
}

type entry struct {
	v       benchmarks.Variant
	c       *benchmarks.Case
	skipped string
	results []testing.BenchmarkResult
}

func main() {
	testing.Init()
	rounds := flag.Int("rounds", 5, "interleaved rounds; each variant runs once per round")
	benchtime := flag.Duration("benchtime", 150*time.Millisecond, "time per variant per round")
	markdown := flag.Bool("markdown", false, "print markdown tables (for the README)")
	only := flag.String("run", "", "run only variants whose name matches this regular expression")
	parallel := flag.Bool("parallel", true, "also run the round trips on every core")
	signin := flag.Bool("signin", true, "also run the sign-in variants")
	signinTime := flag.Duration("signin-benchtime", time.Second, "time per sign-in variant per round: a sign-in with the default hash takes tens of milliseconds, and a round of a few of them measures the machine's hiccups")
	scale := flag.String("scale", "", "also run the scale probes on stores of these sizes (comma-separated users, e.g. 1000,20000); the first is the baseline")
	var scaleSQLite, scalePostgres places
	flag.Var(&scaleSQLite, "scale-sqlite", "also probe this sqlitestore file seeded by cmd/seed (repeat the flag for several)")
	flag.Var(&scalePostgres, "scale-postgres", "also probe this pgstore DSN seeded by cmd/seed (repeat the flag for several)")
	flag.Parse()
	if err := flag.Set("test.benchtime", benchtime.String()); err != nil {
		fatal(err)
	}
	filter, err := regexp.Compile(*only)
	if err != nil {
		fatal(err)
	}
	sections := []section{{title: "Round trip, one goroutine", baseline: "no-auth", ratioLabel: "× no-auth", variants: benchmarks.Variants()}}
	if *parallel {
		sections = append(sections, section{title: fmt.Sprintf("Round trip, parallel (%d goroutines on %d cores)", runtime.GOMAXPROCS(0), runtime.NumCPU()),
			baseline: "no-auth", ratioLabel: "× no-auth", parallel: true, variants: benchmarks.Variants()})
	}
	if *signin {
		sections = append(sections, section{title: "Password sign-in", baseline: "signin/hash-only", ratioLabel: "× hash",
			benchtime: *signinTime, variants: benchmarks.SignInVariants()})
	}

	ctx := context.Background()
	env, err := benchmarks.NewEnv()
	if err != nil {
		fatal(err)
	}
	defer env.Close()
	if *scale != "" || len(scaleSQLite) > 0 || len(scalePostgres) > 0 {
		s, err := scaleSection(ctx, env, *scale, map[string][]string{"sqlite": scaleSQLite, "postgres": scalePostgres})
		if err != nil {
			env.Close()
			fatal(err)
		}
		sections = append(sections, s)
	}
	entries := make([][]*entry, len(sections))
	cases := map[string]*entry{} // one setup per variant, shared by the sections
	for si, s := range sections {
		for _, v := range s.variants {
			if !filter.MatchString(v.Name) && v.Name != s.baseline && (s.baseOf == nil || s.baseOf(v.Name) != v.Name) {
				continue
			}
			e := cases[v.Name]
			if e == nil {
				e = &entry{v: v}
				fmt.Fprintf(os.Stderr, "setting up %s\n", v.Name)
				c, err := v.Setup(ctx, env)
				switch {
				case benchmarks.Unavailable(err):
					e.skipped = err.Error()
				case err != nil:
					env.Close()
					fatal(fmt.Errorf("%s: %w", v.Name, err))
				default:
					e.c = c
				}
				cases[v.Name] = e
			}
			entries[si] = append(entries[si], &entry{v: v, c: e.c, skipped: e.skipped})
		}
	}

	start := time.Now()
	for r := range *rounds {
		fmt.Fprintf(os.Stderr, "round %d/%d\n", r+1, *rounds)
		for si, s := range sections {
			bt := *benchtime
			if s.benchtime > 0 {
				bt = s.benchtime
			}
			if err := flag.Set("test.benchtime", bt.String()); err != nil {
				fatal(err)
			}
			for _, e := range entries[si] {
				if e.c == nil {
					continue
				}
				run := e.c.Run
				if s.parallel {
					run = e.c.RunParallel
				}
				res := testing.Benchmark(run)
				if res.N == 0 {
					env.Close()
					fatal(fmt.Errorf("%s failed (run `go test -bench` in benchmarks/ to see why)", e.v.Name))
				}
				e.results = append(e.results, res)
			}
		}
	}
	elapsed := time.Since(start)

	out := os.Stdout
	per := benchtime.String() + " per variant"
	if *signin {
		per += ", " + signinTime.String() + " per sign-in variant"
	}
	fmt.Fprintln(out, machine(*rounds, per, elapsed, *markdown))
	for si, s := range sections {
		print(out, s, entries[si], *markdown)
	}
}

// places is a flag given once per place.
type places []string

func (p *places) String() string     { return strings.Join(*p, " ") }
func (p *places) Set(v string) error { *p = append(*p, v); return nil }

// scaleSection seeds a SQLite and a PostgreSQL store of each size (and
// opens the pre-seeded ones, after them) and returns their probes, each
// compared with the same probe on the first store's size.
func scaleSection(ctx context.Context, env *benchmarks.Env, sizes string, seeded map[string][]string) (section, error) {
	s := section{title: "Scale: the same probe on stores of different sizes", ratioLabel: "× smallest"}
	var first string
	for _, kind := range []string{"sqlite", "postgres"} {
		var ns []int
		for _, f := range strings.Split(sizes, ",") {
			if sizes == "" {
				break
			}
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				return s, fmt.Errorf("-scale: %q is not a size", f)
			}
			ns = append(ns, n)
		}
		places := make([]string, len(ns))
		for _, at := range seeded[kind] {
			ns, places = append(ns, 0), append(places, at)
		}
		for i, n := range ns {
			fmt.Fprintf(os.Stderr, "seeding %s with %d users\n", kind, n)
			t := time.Now()
			st, n, err := env.Seeded(ctx, kind, places[i], n, nil)
			if benchmarks.Unavailable(err) {
				fmt.Fprintf(os.Stderr, "skipping %s: %v\n", kind, err)
				break
			}
			if err != nil {
				return s, err
			}
			fmt.Fprintf(os.Stderr, "%s: %d users in %s\n", kind, n, time.Since(t).Round(time.Millisecond))
			if first == "" {
				first = fmt.Sprintf("users=%d", n)
			}
			s.variants = append(s.variants, benchmarks.ScaleVariants(fmt.Sprintf("%s/users=%d", kind, n), st, n)...)
		}
	}
	s.baseOf = func(name string) string {
		parts := strings.SplitN(name, "/", 3)
		if len(parts) != 3 {
			return ""
		}
		return parts[0] + "/" + first + "/" + parts[2]
	}
	return s, nil
}

// print writes one section's table.
func print(out io.Writer, s section, entries []*entry, md bool) {
	byName := map[string]*entry{}
	for _, e := range entries {
		if e.c != nil {
			byName[e.v.Name] = e
		}
	}
	header := []string{"variant", "ns/op (median)", "min – max", "B/op", "allocs/op", s.ratioLabel, "ratio min – max", "what"}
	var rows [][]string
	for _, e := range entries {
		if e.c == nil {
			rows = append(rows, []string{e.v.Name, "—", "", "", "", "", "", e.skipped})
			continue
		}
		ns := make([]float64, len(e.results))
		for i, r := range e.results {
			ns[i] = float64(r.T.Nanoseconds()) / float64(r.N)
		}
		last := e.results[len(e.results)-1]
		row := []string{e.v.Name, dur(median(ns)), dur(slices.Min(ns)) + " – " + dur(slices.Max(ns)),
			fmt.Sprint(last.AllocedBytesPerOp()), fmt.Sprint(last.AllocsPerOp()), "", "", e.v.Note}
		baseName := s.baseline
		if s.baseOf != nil {
			baseName = s.baseOf(e.v.Name)
		}
		if base := byName[baseName]; base != nil {
			ratios := make([]float64, len(ns))
			for i := range ns {
				b := base.results[i]
				ratios[i] = ns[i] / (float64(b.T.Nanoseconds()) / float64(b.N))
			}
			row[5] = ratio(median(ratios))
			row[6] = ratio(slices.Min(ratios)) + " – " + ratio(slices.Max(ratios))
		}
		rows = append(rows, row)
	}
	if md {
		fmt.Fprintf(out, "\n%s\n\n| %s |\n|%s\n", s.title, strings.Join(header, " | "), strings.Repeat(" --- |", len(header)))
		for _, r := range rows {
			fmt.Fprintf(out, "| %s |\n", strings.Join(r, " | "))
		}
		return
	}
	fmt.Fprintf(out, "\n%s\n", s.title)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// dur prints nanoseconds with three significant figures.
func dur(ns float64) string {
	switch {
	case ns < 1e3:
		return fmt.Sprintf("%.3g ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.3g µs", ns/1e3)
	default:
		return fmt.Sprintf("%.3g ms", ns/1e6)
	}
}

func ratio(r float64) string {
	if r >= 100 {
		return fmt.Sprintf("%.0f", r)
	}
	return fmt.Sprintf("%.3g", r)
}

// machine describes where and how the figures were taken.
func machine(rounds int, benchtime string, elapsed time.Duration, md bool) string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = ", load average " + strings.Join(strings.Fields(string(b))[:3], " ")
	}
	s := fmt.Sprintf("%s, %s/%s, %d cores (%s), %s%s; %d interleaved rounds of %s, %s in all",
		time.Now().UTC().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpu, runtime.Version(), load,
		rounds, benchtime, elapsed.Round(time.Second))
	if md {
		return "_" + s + "_"
	}
	return s
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "compare:", err)
	os.Exit(1)
}
