package mpc

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// A peer stream carries many protocol messages over one connection, in
// both directions at once: the sender writes message frames, the receiver
// answers each, in order, with an acknowledgement frame. Setting it up
// costs one HTTP request (an upgrade on the peer API, authenticated as a
// message POST is); after that a message costs a frame each way instead
// of an HTTP exchange.
//
//	message frame: length (uint32, big-endian) | the message (MarshalBinary)
//	ack frame:     status (uint16) | text length (uint16) | text
//
// The status is that of the message POST (204 taken, 4xx refused, …),
// and the text the refusal's, so both ways report the same. A receiver
// that ends a stream says so first with a goodbye, an ack frame of status
// 0 whose text is why: it reads no frame after it, so the sender knows
// that every frame still unanswered was not taken and may be sent again.

// PeerStreamPath is where a node's peer API accepts a peer stream.
const PeerStreamPath = "/peer/v1/stream"

// StreamProtocol is the Upgrade token of a peer stream.
const StreamProtocol = "fsc-peer-stream/1"

// maxFrame bounds one message frame: the largest message body and its
// labels.
const maxFrame = MaxBody + 4096

// statusGoodbye is the status of a goodbye.
const statusGoodbye = 0

// maxAckText bounds the text of an acknowledgement.
const maxAckText = 4096

// frameError is a message frame the receiver could not read as one.
type frameError struct{ why string }

func (e *frameError) Error() string { return "peer stream: " + e.why }

// readFrameHeader reads a message frame's length and checks it against
// limit before anything is allocated for it.
func readFrameHeader(r io.Reader, limit int) (int, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, err
	}
	n := binary.BigEndian.Uint32(h[:])
	if n == 0 {
		return 0, &frameError{"empty message frame"}
	}
	if uint64(n) > uint64(limit) {
		return 0, &frameError{fmt.Sprintf("message frame of %d bytes exceeds %d", n, limit)}
	}
	return int(n), nil
}

// appendFrame appends the frame of an encoded message to b.
func appendFrame(b, msg []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(msg)))
	return append(b, msg...)
}

// appendAck appends an acknowledgement frame to b, its text cut to
// maxAckText bytes.
func appendAck(b []byte, status int, text string) []byte {
	if len(text) > maxAckText {
		text = text[:maxAckText]
	}
	b = binary.BigEndian.AppendUint16(b, uint16(status))
	b = binary.BigEndian.AppendUint16(b, uint16(len(text)))
	return append(b, text...)
}

// readAck reads one acknowledgement frame.
func readAck(r *bufio.Reader) (status int, text string, err error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, "", err
	}
	status = int(binary.BigEndian.Uint16(h[:2]))
	n := int(binary.BigEndian.Uint16(h[2:]))
	if status != statusGoodbye && (status < 100 || status > 599) {
		return 0, "", &frameError{fmt.Sprintf("acknowledgement with status %d", status)}
	}
	if n > maxAckText {
		return 0, "", &frameError{fmt.Sprintf("acknowledgement text of %d bytes exceeds %d", n, maxAckText)}
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return 0, "", err
	}
	return status, string(b), nil
}
