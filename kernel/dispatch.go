package kernel

import (
	"encoding/json"
	"errors"
	"time"
)

// request is a message received on shell, control or stdin.
type request struct {
	*message
	sock     socket // the socket the reply goes to
	channel  string // shell, control or stdin
	received time.Time
}

// handlers answer requests by msg_type.
var handlers = map[string]func(*Kernel, *request){
	"kernel_info_request": (*Kernel).kernelInfo,
	"execute_request":     (*Kernel).execute,
	"complete_request":    (*Kernel).complete,
	"inspect_request":     (*Kernel).inspect,
	"is_complete_request": (*Kernel).isComplete,
	"history_request":     (*Kernel).historyRequest,
	"comm_info_request":   (*Kernel).commInfo,
	"comm_open":           (*Kernel).commOpen,
	"comm_msg":            func(*Kernel, *request) {}, // no comm is ever open
	"comm_close":          func(*Kernel, *request) {},
	"interrupt_request":   (*Kernel).interrupt,
	"shutdown_request":    (*Kernel).shutdownRequest,
}

// onControl are the requests control answers. The others touch the
// Runtime, which runs one thing at a time on shell.
var onControl = map[string]bool{
	"kernel_info_request": true,
	"interrupt_request":   true,
	"shutdown_request":    true,
	"history_request":     true,
	"comm_info_request":   true,
}

// receive reads messages from sock until it is closed and hands the good
// ones to handle. A message that does not decode or whose signature is
// wrong is logged and dropped.
func (k *Kernel) receive(sock socket, channel string, handle func(*request)) {
	for {
		frames, err := sock.Recv()
		if errors.Is(err, errClosed) {
			return
		}
		if err != nil {
			k.log.Warn("receive failed", "socket", channel, "err", err)
			continue
		}
		received := time.Now()
		m, err := decode(frames, k.signer)
		if err != nil {
			k.log.Warn("dropped a message", "socket", channel, "reason", err)
			continue
		}
		if len(k.signer.key) > 0 && !k.replays.fresh(m.signature) {
			k.log.Warn("dropped a message", "socket", channel, "reason", "replayed signature", "msg_id", m.Header.MsgID)
			continue
		}
		handle(&request{message: m, sock: sock, channel: channel, received: received})
	}
}

// handle answers one request between status busy and status idle on
// iopub, both with the request's header as parent.
func (k *Kernel) handle(r *request) {
	k.publish(r.rawHeader, "status", statusContent{"busy"})
	defer k.publish(r.rawHeader, "status", statusContent{"idle"})
	msgType := r.Header.MsgType
	h := handlers[msgType]
	switch {
	case h == nil:
		k.log.Warn("ignored a message of unknown type", "socket", r.channel, "msg_type", msgType)
	case r.channel == "control" && !onControl[msgType]:
		k.log.Warn("ignored a message not served on control", "msg_type", msgType)
	default:
		h(k, r)
	}
}

// statusContent is the content of a status message.
type statusContent struct {
	ExecutionState string `json:"execution_state"`
}

// reply answers r on the socket it came on.
func (k *Kernel) reply(r *request, msgType string, content any) {
	k.send(r.sock, r.channel, r.Identities, r.rawHeader, msgType, content)
}

// publish sends a message on iopub.
func (k *Kernel) publish(parent json.RawMessage, msgType string, content any) {
	topic := [][]byte{[]byte("kernel." + k.session + "." + msgType)}
	k.send(k.socks.iopub, "iopub", topic, parent, msgType, content)
}

// send encodes and sends one message; failures are logged.
func (k *Kernel) send(sock socket, channel string, ids [][]byte, parent json.RawMessage, msgType string, content any) {
	body, err := json.Marshal(content)
	if err != nil {
		k.log.Error("cannot encode a message", "msg_type", msgType, "err", err)
		return
	}
	m := &message{Identities: ids, Header: newHeader(k.session, msgType), Parent: parent, Content: body}
	frames, err := encode(m, k.signer)
	if err == nil {
		err = sock.Send(frames)
	}
	if err != nil && !errors.Is(err, errClosed) {
		k.log.Warn("send failed", "socket", channel, "msg_type", msgType, "err", err)
	}
}
