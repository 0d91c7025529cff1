package kernel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"testing"
)

func TestWireRoundTrip(t *testing.T) {
	s := signer{key: []byte("key")}
	m := &message{
		Identities: [][]byte{[]byte("id1"), []byte("id2")},
		Header:     newHeader("session", "execute_request"),
		Parent:     json.RawMessage(`{"msg_id":"p"}`),
		Content:    json.RawMessage(`{"code":"1+1"}`),
		Buffers:    [][]byte{{0, 1, 2}},
	}
	frames, err := encode(m, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 2+6+1 || string(frames[2]) != delimiter || string(frames[6]) != "{}" {
		t.Fatalf("frames %q", frames)
	}
	got, err := decode(frames, s)
	if err != nil {
		t.Fatal(err)
	}
	if got.Header != m.Header || string(got.Parent) != string(m.Parent) || string(got.Content) != string(m.Content) ||
		string(got.Metadata) != "{}" || len(got.Identities) != 2 || !bytes.Equal(got.Buffers[0], []byte{0, 1, 2}) {
		t.Errorf("decoded %+v", got)
	}
	// The signature covers every JSON part.
	for i := 4; i <= 7; i++ {
		bad := append([][]byte(nil), frames...)
		bad[i] = append([]byte(" "), bad[i]...)
		if _, err := decode(bad, s); !errors.Is(err, errSignature) {
			t.Errorf("frame %d changed: %v, want a bad signature", i, err)
		}
	}
	if _, err := decode(frames, signer{key: []byte("other")}); !errors.Is(err, errSignature) {
		t.Errorf("other key: %v", err)
	}
	// Without a key nothing is signed or checked.
	frames, _ = encode(m, signer{})
	if len(frames[3]) != 0 {
		t.Errorf("unsigned message has signature %q", frames[3])
	}
	if _, err := decode(frames, signer{}); err != nil {
		t.Error(err)
	}
}

func TestHeader(t *testing.T) {
	h := newHeader("s", "status")
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	date := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)
	if !uuid.MatchString(h.MsgID) || !date.MatchString(h.Date) || h.Version != "5.3" || h.MsgType != "status" || h.Session != "s" {
		t.Errorf("header %+v", h)
	}
	if newUUID() == newUUID() {
		t.Error("two equal UUIDs")
	}
}

func TestDecodeErrors(t *testing.T) {
	ok := [][]byte{[]byte(delimiter), nil, []byte(`{"msg_type":"x"}`), []byte("{}"), []byte("{}"), []byte("{}")}
	for _, tc := range []struct {
		name   string
		frames [][]byte
	}{
		{"no delimiter", ok[1:]},
		{"short", ok[:5]},
		{"header not JSON", replace(ok, 2, "{")},
		{"no msg_type", replace(ok, 2, `{"msg_id":"a"}`)},
		{"parent not an object", replace(ok, 3, "[]")},
		{"metadata null", replace(ok, 4, "null")},
		{"content a string", replace(ok, 5, `"x"`)},
	} {
		if _, err := decode(tc.frames, signer{}); err == nil {
			t.Errorf("%s: decoded", tc.name)
		}
	}
	if _, err := decode(ok, signer{}); err != nil {
		t.Error(err)
	}
}

func replace(frames [][]byte, i int, s string) [][]byte {
	out := append([][]byte(nil), frames...)
	out[i] = []byte(s)
	return out
}

// FuzzDecodeMessage checks that decoding any frames never panics, and that
// a decoded message encodes to frames that decode to the same message.
// The input is split into frames at NUL bytes.
func FuzzDecodeMessage(f *testing.F) {
	for _, key := range []string{"", "key"} {
		s := signer{key: []byte(key)}
		frames, _ := encode(&message{Identities: [][]byte{[]byte("id")}, Header: newHeader("s", "kernel_info_request"),
			Content: json.RawMessage(`{"a":[1,2]}`), Buffers: [][]byte{[]byte("buf")}}, s)
		f.Add(bytes.Join(frames, []byte{0}), key)
	}
	f.Add([]byte("<IDS|MSG>\x00\x00{\"msg_type\":\"a\"}\x00{}\x00{}\x00{}"), "")
	f.Fuzz(func(t *testing.T, data []byte, key string) {
		s := signer{key: []byte(key)}
		m, err := decode(bytes.Split(data, []byte{0}), s)
		if err != nil {
			return
		}
		frames, err := encode(m, s)
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		again, err := decode(frames, s)
		if err != nil {
			t.Fatalf("re-encoded message does not decode: %v", err)
		}
		if fmt.Sprint(again.Identities, again.Header, string(again.Parent), string(again.Metadata), string(again.Content), again.Buffers) !=
			fmt.Sprint(m.Identities, m.Header, string(m.Parent), string(m.Metadata), string(m.Content), m.Buffers) {
			t.Fatalf("round trip changed the message:\n%+v\n%+v", m, again)
		}
	})
}
