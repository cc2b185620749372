package sse

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

var streams = []struct {
	name, in string
	want     []Event
}{
	{"gqlgen's framing", ":\n\nevent: next\ndata: {\"data\":{\"a\":1}}\n\n: ping\n\nevent: complete\n\n",
		[]Event{{"next", []byte(`{"data":{"a":1}}`)}, {"complete", nil}}},
	{"unnamed, CRLF, two data lines", "data: a\r\ndata:b\r\n\r\n", []Event{{"", []byte("a\nb")}}},
	{"a last event cut off before its blank line is dropped", "event: next\ndata: a\n\nevent: next\ndata: x\n", []Event{{"next", []byte("a")}}},
	{"unknown fields skipped", "id: 1\nretry: 10\nevent: next\ndata: y\n\n", []Event{{"next", []byte("y")}}},
}

func TestReader(t *testing.T) {
	for _, tc := range streams {
		r := NewReader(strings.NewReader(tc.in), 1<<10)
		var got []Event
		for {
			ev, err := r.Next()
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			got = append(got, ev)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %d events %q, want %d", tc.name, len(got), got, len(tc.want))
		}
		for i := range got {
			if got[i].Name != tc.want[i].Name || !bytes.Equal(got[i].Data, tc.want[i].Data) {
				t.Errorf("%s: event %d = %q %q, want %q %q", tc.name, i, got[i].Name, got[i].Data, tc.want[i].Name, tc.want[i].Data)
			}
		}
	}
}

func TestReaderRefusesAnEventOverItsLimit(t *testing.T) {
	big := "event: next\ndata: " + strings.Repeat("x", 10000) + "\n\n"
	if _, err := NewReader(strings.NewReader(big), 5000).Next(); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a 10 kB event under a 5 kB limit: %v", err)
	}
	many := "event: next\n" + strings.Repeat("data: xxxxxxxxxx\n", 1000) + "\n"
	if _, err := NewReader(strings.NewReader(many), 5000).Next(); !errors.Is(err, ErrTooLarge) {
		t.Errorf("1000 short data lines under a 5 kB limit: %v", err)
	}
}

func TestWriteReadsBack(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "next", []byte(`{"data":null}`)); err != nil {
		t.Fatal(err)
	}
	if err := Comment(&b, "ping"); err != nil {
		t.Fatal(err)
	}
	if err := Write(&b, "complete", nil); err != nil {
		t.Fatal(err)
	}
	if err := Write(&b, "next", []byte("a\nb")); err == nil {
		t.Error("data with a newline written")
	}
	r := NewReader(&b, 1<<10)
	for _, want := range []Event{{"next", []byte(`{"data":null}`)}, {"complete", nil}} {
		ev, err := r.Next()
		if err != nil || ev.Name != want.Name || !bytes.Equal(ev.Data, want.Data) {
			t.Errorf("read %q %q (%v), want %q %q", ev.Name, ev.Data, err, want.Name, want.Data)
		}
	}
}

func FuzzReader(f *testing.F) {
	for _, tc := range streams {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r := NewReader(strings.NewReader(in), 256)
		for range 1000 {
			ev, err := r.Next()
			if err != nil {
				return
			}
			if len(ev.Data) > 256 {
				t.Fatalf("an event of %d bytes under a 256-byte limit", len(ev.Data))
			}
		}
	})
}
