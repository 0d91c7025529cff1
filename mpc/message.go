package mpc

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Message is one protocol message. It is bound to its session, its step,
// its sender and its receiver; Digest binds it to what the parties agreed to
// compute, so parties that disagree find out at the first message.
type Message struct {
	Session string
	Step    string
	From    string
	To      string
	Digest  [16]byte
	Body    []byte
}

// StepAbort is the step label of the message a party sends to end a session
// at every other party; its body is the reason, as text.
const StepAbort = "abort"

// Limits of the binary message format.
const (
	maxLabel = 512      // bytes in a session id, step label or party id
	MaxBody  = 64 << 20 // bytes in one message body
)

var magic = [4]byte{'F', 'S', 'C', 1}

// MarshalBinary encodes m compactly: a magic tag, four length-prefixed
// labels, the digest and the length-prefixed body.
func (m *Message) MarshalBinary() ([]byte, error) {
	labels := []string{m.Session, m.Step, m.From, m.To}
	n := len(magic) + 16 + 4 + len(m.Body)
	for _, l := range labels {
		if len(l) > maxLabel {
			return nil, fmt.Errorf("message label %.40q... longer than %d bytes", l, maxLabel)
		}
		n += 2 + len(l)
	}
	if len(m.Body) > MaxBody {
		return nil, fmt.Errorf("message body of %d bytes exceeds %d", len(m.Body), MaxBody)
	}
	b := make([]byte, 0, n)
	b = append(b, magic[:]...)
	for _, l := range labels {
		b = binary.BigEndian.AppendUint16(b, uint16(len(l)))
		b = append(b, l...)
	}
	b = append(b, m.Digest[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.Body)))
	return append(b, m.Body...), nil
}

// UnmarshalBinary decodes a message written by MarshalBinary. It rejects
// truncated, oversize and trailing data with an error saying which field.
func (m *Message) UnmarshalBinary(b []byte) error {
	if len(b) < len(magic) || [4]byte(b[:4]) != magic {
		return errors.New("peer message: bad magic (not an fsc-node message of this version)")
	}
	b = b[len(magic):]
	names := []string{"session", "step", "from", "to"}
	var labels [4]string
	for i, name := range names {
		if len(b) < 2 {
			return fmt.Errorf("peer message: truncated before %s", name)
		}
		n := int(binary.BigEndian.Uint16(b))
		b = b[2:]
		if n > maxLabel {
			return fmt.Errorf("peer message: %s is %d bytes, limit %d", name, n, maxLabel)
		}
		if len(b) < n {
			return fmt.Errorf("peer message: truncated in %s", name)
		}
		labels[i] = string(b[:n])
		b = b[n:]
	}
	if len(b) < 16+4 {
		return errors.New("peer message: truncated before digest")
	}
	var d [16]byte
	copy(d[:], b[:16])
	n := binary.BigEndian.Uint32(b[16:])
	b = b[20:]
	if n > MaxBody {
		return fmt.Errorf("peer message: body of %d bytes exceeds %d", n, MaxBody)
	}
	if uint32(len(b)) != n {
		return fmt.Errorf("peer message: body is %d bytes, header says %d", len(b), n)
	}
	*m = Message{Session: labels[0], Step: labels[1], From: labels[2], To: labels[3], Digest: d, Body: append([]byte(nil), b...)}
	return nil
}
