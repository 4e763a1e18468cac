// Command seed fills a Latch database with users for the scale
// benchmarks, through the storage API, in transactions of -batch users:
// each user has a verified email address (user-N@bench.example), a
// password (cheap to check; see benchmarks.CheapHasher) and two sessions
// on two browsers. At the end it prints the size of each table and index,
// which is what the PostgreSQL sizing rule in the README comes from.
//
//	go run ./cmd/seed -sqlite latch-1m.db -users 1000000
//	createdb latch_1m && go run ./cmd/seed -postgres 'postgres://root@127.0.0.1:5432/latch_1m?sslmode=disable' -users 1000000
//
// A run that stopped can be run again as it was: each batch is one
// transaction, and a batch whose first user is there already is skipped.
// -writers runs several transactions at once (one by default, so that
// the seed leaves the machine's other cores alone). Then measure with
//
//	go test -run '^$' -bench Scale -args -scale.sqlite latch-1m.db -scale.postgres '…'
//	go run ./cmd/compare -parallel=false -signin=false -run '^postgres/' -scale-postgres '…/latch_1k…' -scale-postgres '…/latch_1m…'
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/latchauth/latch/benchmarks"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/pgstore"
	"github.com/latchauth/latch/storage/sqlitestore"
	_ "modernc.org/sqlite" // dbstat, for the sizes
)

func main() {
	sqlitePath := flag.String("sqlite", "", "sqlitestore file to seed (created if missing)")
	pgDSN := flag.String("postgres", "", "PostgreSQL DSN to seed (its search_path schema)")
	users := flag.Int("users", 20_000, "users to write")
	from := flag.Int("from", 0, "index of the first user")
	batch := flag.Int("batch", 5000, "users per transaction")
	writers := flag.Int("writers", 1, "transactions writing at once")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the seeding to this file")
	flag.Parse()
	ctx := context.Background()
	var st storage.Store
	switch {
	case *sqlitePath != "" && *pgDSN == "":
		db, err := sqlitestore.Open(ctx, *sqlitePath)
		check(err)
		defer db.Close()
		st = db
	case *pgDSN != "" && *sqlitePath == "":
		db, err := pgstore.Open(ctx, *pgDSN)
		check(err)
		defer db.Close()
		st = db
	default:
		fmt.Fprintln(os.Stderr, "seed: give one of -sqlite FILE or -postgres DSN")
		os.Exit(2)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		check(err)
		check(pprof.StartCPUProfile(f))
	}
	start, last := time.Now(), time.Now()
	written := 0
	err := benchmarks.Seed(ctx, st, benchmarks.SeedConfig{From: *from, To: *from + *users, Batch: *batch, Writers: *writers, Progress: func(done int) {
		written = done
		if time.Since(last) > 5*time.Second {
			last = time.Now()
			fmt.Fprintf(os.Stderr, "%d users (%.0f/s)\n", done, float64(done)/time.Since(start).Seconds())
		}
	}})
	fmt.Fprintf(os.Stderr, "%d users written (%.0f/s)\n", written, float64(written)/time.Since(start).Seconds())
	check(err)
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	fmt.Printf("seeded users %d to %d in %s\n\n", *from, *from+*users-1, time.Since(start).Round(time.Second))
	if *pgDSN != "" {
		check(pgSizes(ctx, *pgDSN))
	} else {
		check(sqliteSizes(ctx, *sqlitePath))
	}
}

// pgSizes prints each Latch relation of the current schema with its size,
// largest first.
func pgSizes(ctx context.Context, dsn string) error {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		return err
	}
	rows, err := pool.Query(ctx, `SELECT c.relname, CASE c.relkind WHEN 'i' THEN 'index' ELSE 'table' END, pg_relation_size(c.oid)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i') AND c.relname LIKE 'latch_%' AND pg_relation_size(c.oid) > 0
		ORDER BY 3 DESC`)
	if err != nil {
		return err
	}
	defer rows.Close()
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "relation\tkind\tsize")
	for rows.Next() {
		var name, kind string
		var size int64
		if err := rows.Scan(&name, &kind, &size); err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f MiB\n", name, kind, float64(size)/(1<<20))
	}
	tw.Flush()
	return rows.Err()
}

// sqliteSizes prints each table and index with its size, from the dbstat
// table when the SQLite build has it, the file's size otherwise.
func sqliteSizes(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT name, SUM(pgsize) FROM dbstat GROUP BY name HAVING SUM(pgsize) > 4096 ORDER BY 2 DESC`)
	if err != nil {
		fi, serr := os.Stat(path)
		if serr != nil {
			return serr
		}
		fmt.Printf("database file: %.1f MiB (no dbstat in this SQLite: %v)\n", float64(fi.Size())/(1<<20), err)
		return nil
	}
	defer rows.Close()
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "table or index\tsize")
	for rows.Next() {
		var name string
		var size int64
		if err := rows.Scan(&name, &size); err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%.1f MiB\n", name, float64(size)/(1<<20))
	}
	tw.Flush()
	return rows.Err()
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}
