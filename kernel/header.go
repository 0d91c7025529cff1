package kernel

import (
	"crypto/rand"
	"fmt"
	"time"
)

// protocolVersion is the version of the Jupyter messaging protocol spoken.
const protocolVersion = "5.3"

// msgHeader is the header of a Jupyter message.
type msgHeader struct {
	MsgID    string `json:"msg_id"`
	Session  string `json:"session"`
	Username string `json:"username"`
	Date     string `json:"date"`
	MsgType  string `json:"msg_type"`
	Version  string `json:"version"`
}

// newHeader is the header of a new message of this kernel's session.
func newHeader(session, msgType string) msgHeader {
	return msgHeader{MsgID: newUUID(), Session: session, Username: "kernel", Date: isoNow(), MsgType: msgType, Version: protocolVersion}
}

// isoNow is the current time in ISO 8601, UTC, with microseconds.
func isoNow() string {
	return time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")
}

// newUUID is a random (version 4) UUID.
func newUUID() string {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		panic(fmt.Sprintf("kernel: crypto/rand failed: %v", err)) // rand.Read never fails on supported systems
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
