package storagetest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestDiff checks that the comparison every round trip relies on catches
// each way an adapter can get a value wrong.
func TestDiff(t *testing.T) {
	type rec struct {
		T time.Time
		J json.RawMessage
		B []byte
		S []string
		N int
	}
	want := rec{T: at(0), J: raw(`{"a": 1, "b": [true]}`), B: []byte{}, S: []string{"x"}, N: 1}
	for _, c := range []struct {
		name  string
		got   rec
		field string // "" when got is right
	}{
		{"equal, reordered JSON", rec{T: at(0).UTC(), J: raw(`{"b":[true],"a":1}`), S: []string{"x"}, N: 1}, ""},
		{"time not in UTC", rec{T: at(0), J: want.J, S: want.S, N: 1}, "T"},
		{"time differs", rec{T: at(time.Microsecond).UTC(), J: want.J, S: want.S, N: 1}, "T"},
		{"JSON differs", rec{T: at(0).UTC(), J: raw(`{"a": 2, "b": [true]}`), S: want.S, N: 1}, "J"},
		{"empty bytes not nil", rec{T: at(0).UTC(), J: want.J, B: []byte{}, S: want.S, N: 1}, "B"},
		{"slice differs", rec{T: at(0).UTC(), J: want.J, S: []string{"y"}, N: 1}, "S"},
		{"int differs", rec{T: at(0).UTC(), J: want.J, S: want.S, N: 2}, "N"},
	} {
		d := diff(&c.got, &want)
		if c.field == "" && len(d) > 0 || c.field != "" && (len(d) != 1 || !strings.HasPrefix(d[0], c.field+":")) {
			t.Errorf("%s: diff = %q, want a difference in %q only", c.name, d, c.field)
		}
	}
	if msg := jsonDiff(raw(`{}`), nil); msg == "" {
		t.Error("jsonDiff must tell nil from an empty object")
	}
}
