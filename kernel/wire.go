package kernel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// delimiter separates the routing identities of a message from its body.
const delimiter = "<IDS|MSG>"

// message is one Jupyter message as it travels: the routing identities (or
// the topic, on iopub), the four JSON parts, then binary buffers.
type message struct {
	Identities [][]byte
	Header     msgHeader
	Parent     json.RawMessage // the parent's header, {} when none
	Metadata   json.RawMessage // always an object
	Content    json.RawMessage // always an object
	Buffers    [][]byte

	// rawHeader is the header as received: replies carry it as their
	// parent header unchanged.
	rawHeader json.RawMessage
	// signature is the message's signature as received.
	signature []byte
}

// Errors of decode.
var (
	errNoDelimiter = errors.New("no <IDS|MSG> delimiter")
	errTooShort    = errors.New("fewer than 5 frames after the delimiter")
	errSignature   = errors.New("bad signature")
)

// decode parses the frames of a message and verifies its signature.
func decode(frames [][]byte, s signer) (*message, error) {
	d := -1
	for i, f := range frames {
		if string(f) == delimiter {
			d = i
			break
		}
	}
	if d < 0 {
		return nil, errNoDelimiter
	}
	body := frames[d+1:]
	if len(body) < 5 {
		return nil, errTooShort
	}
	sig, header, parent, metadata, content := body[0], body[1], body[2], body[3], body[4]
	if !s.verify(sig, header, parent, metadata, content) {
		return nil, errSignature
	}
	m := &message{Identities: frames[:d], Buffers: body[5:], rawHeader: header, signature: sig}
	if err := json.Unmarshal(header, &m.Header); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if m.Header.MsgType == "" {
		return nil, errors.New("header: no msg_type")
	}
	for _, p := range []struct {
		name string
		raw  []byte
		dst  *json.RawMessage
	}{{"parent_header", parent, &m.Parent}, {"metadata", metadata, &m.Metadata}, {"content", content, &m.Content}} {
		if !isObject(p.raw) {
			return nil, fmt.Errorf("%s: not a JSON object", p.name)
		}
		*p.dst = p.raw
	}
	return m, nil
}

// isObject says whether b is one JSON object.
func isObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

// encode returns the frames of m, signed.
func encode(m *message, s signer) ([][]byte, error) {
	header, err := json.Marshal(m.Header)
	if err != nil {
		return nil, err
	}
	parent, metadata, content := orEmpty(m.Parent), orEmpty(m.Metadata), orEmpty(m.Content)
	frames := make([][]byte, 0, len(m.Identities)+6+len(m.Buffers))
	frames = append(frames, m.Identities...)
	frames = append(frames, []byte(delimiter), s.sign(header, parent, metadata, content), header, parent, metadata, content)
	return append(frames, m.Buffers...), nil
}

// orEmpty is raw, or the empty object when raw is empty or null.
func orEmpty(raw json.RawMessage) []byte {
	if len(raw) == 0 || string(raw) == "null" {
		return []byte("{}")
	}
	return raw
}
