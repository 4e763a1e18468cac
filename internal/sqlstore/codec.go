package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/latchauth/latch/storage"
)

// errInvalidJSON is returned for a JSON field that is not valid JSON; it is
// deliberately none of the storage sentinels.
var errInvalidJSON = errors.New("sqlstore: field is not valid JSON")

// checkJSON fails when any non-empty value is not valid JSON. Checked in Go
// so that SQLite, which stores JSON as TEXT, rejects what PostgreSQL's jsonb
// rejects.
func checkJSON(values ...json.RawMessage) error {
	for _, v := range values {
		if len(v) > 0 && !json.Valid(v) {
			return errInvalidJSON
		}
	}
	return nil
}

// tm encodes a time argument: NULL for the zero time, microsecond precision
// in UTC otherwise.
func (q *querier) tm(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	t = t.UTC().Truncate(time.Microsecond)
	if q.d.Times == TimeUnixMicro {
		return t.UnixMicro()
	}
	return t
}

// js encodes a JSON argument (validated with checkJSON): NULL for nil.
func js(v json.RawMessage) any {
	if len(v) == 0 {
		return nil
	}
	return string(v)
}

// bs encodes a byte-slice argument: NULL for nil and empty.
func bs(v []byte) any {
	if len(v) == 0 {
		return nil
	}
	return v
}

// strs encodes a string list as a JSON array: NULL for nil and empty.
func strs(v []string) any {
	if len(v) == 0 {
		return nil
	}
	b, _ := json.Marshal(v) // cannot fail for []string
	return string(b)
}

// nullable encodes an optional key: NULL for "" so that partial and unique
// indexes ignore it.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// timeCol scans either encoding of a time (time.Time or Unix microseconds);
// NULL is the zero time.
type timeCol struct{ p *time.Time }

func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.p = time.Time{}
	case time.Time:
		*c.p = v.UTC()
	case int64:
		*c.p = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into a time", src)
	}
	return nil
}

// jsonCol scans JSON (jsonb or TEXT); NULL is nil.
type jsonCol struct{ p *json.RawMessage }

func (c jsonCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.p = nil
	case []byte:
		*c.p = append(json.RawMessage(nil), v...)
	case string:
		*c.p = json.RawMessage(v)
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into JSON", src)
	}
	return nil
}

// bytesCol scans a binary string; NULL and empty are nil.
type bytesCol struct{ p *[]byte }

func (c bytesCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.p = nil
	case []byte:
		if len(v) == 0 {
			*c.p = nil
		} else {
			*c.p = append([]byte(nil), v...)
		}
	case string:
		if v == "" {
			*c.p = nil
		} else {
			*c.p = []byte(v)
		}
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into bytes", src)
	}
	return nil
}

// strsCol scans a JSON array of strings; NULL and [] are nil.
type strsCol struct{ p *[]string }

func (c strsCol) Scan(src any) error {
	var raw []byte
	switch v := src.(type) {
	case nil:
		*c.p = nil
		return nil
	case []byte:
		raw = v
	case string:
		raw = []byte(v)
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into a string list", src)
	}
	var out []string
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("sqlstore: string list: %w", err)
	}
	if len(out) == 0 {
		out = nil
	}
	*c.p = out
	return nil
}

// where accumulates AND-ed conditions and their arguments. Conditions are
// static SQL with placeholders; values only ever travel as arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) eq(col, v string) {
	if v != "" {
		w.add(col+" = ?", v)
	}
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// likeEscaper escapes LIKE's wildcards (and its escape character) so that a
// free-text query matches literally.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// contains returns the LIKE pattern (used with likeCol) matching values
// that contain s case-insensitively.
func contains(s string) string {
	return "%" + likeEscaper.Replace(strings.ToLower(s)) + "%"
}

// likeCol is the condition matching col against a contains pattern.
func (d *Dialect) likeCol(col string) string {
	lower := d.Lower
	if lower == "" {
		lower = "LOWER"
	}
	return lower + "(" + col + `) LIKE ? ESCAPE '\'`
}

// page runs a keyset-paginated SELECT: base is "SELECT cols FROM table",
// w the filter; rows are ordered by id. It fetches one row more than the
// page size to know whether a next page exists.
func page[T any](ctx context.Context, q *querier, scan func(scanner) (*T, error), id func(*T) string, base string, w *where, p storage.Page) ([]*T, string, error) {
	size := p.Size()
	order := " ORDER BY id"
	if p.Desc {
		order += " DESC"
	}
	if p.After != "" {
		if p.Desc {
			w.add("id < ?", p.After)
		} else {
			w.add("id > ?", p.After)
		}
	}
	items, err := getAll(ctx, q, scan, base+w.sql()+order+" LIMIT ?", append(w.args, size+1)...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(items) > size {
		items = items[:size]
		next = id(items[size-1])
	}
	return items, next, nil
}

// count runs SELECT COUNT(*) FROM table with w.
func (q *querier) count(ctx context.Context, table string, w *where) (int, error) {
	var n int
	err := q.queryRow(ctx, "SELECT COUNT(*) FROM "+table+w.sql(), w.args...).Scan(&n)
	return n, q.mapErr(err)
}

// columns helps keep a table's column list, its INSERT and its UPDATE in
// step: one list, rendered three ways.
type columns []string

func (c columns) list() string { return strings.Join(c, ", ") }

// prefixed is the list qualified with a table alias, for joins.
func (c columns) prefixed(alias string) string {
	out := make([]string, len(c))
	for i, col := range c {
		out[i] = alias + "." + col
	}
	return strings.Join(out, ", ")
}

// marks is "?, ?, …", one per column.
func (c columns) marks() string {
	return strings.TrimSuffix(strings.Repeat("?, ", len(c)), ", ")
}

// set is "a = ?, b = ?, …".
func (c columns) set() string { return strings.Join(c, " = ?, ") + " = ?" }

// excluded is "a = excluded.a, …", for upserts.
func (c columns) excluded() string {
	out := make([]string, len(c))
	for i, col := range c {
		out[i] = col + " = excluded." + col
	}
	return strings.Join(out, ", ")
}
