package kernel

import (
	"encoding/json"
	"errors"
	"fmt"
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
	k.dispatch(r)
}

// handleAside answers a request that is served while a cell may run: one
// on control, or an interrupt_request on shell. Its busy and idle go out
// together, before it is answered, so that they never fall between the
// running cell's own busy and idle (nor after them, where a frontend
// would take the stray idle for the end of its next cell): an interrupt
// is published before the cell it stops can end.
func (k *Kernel) handleAside(r *request) {
	k.publishStatusPair(r.rawHeader)
	k.dispatch(r)
}

// dispatch runs the handler of r.
func (k *Kernel) dispatch(r *request) {
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

// shedable are the iopub messages a frontend that does not keep up may
// lose: output, whose loss the cell then shows. Status, execute_input,
// execute_result and error always go.
var shedable = map[string]bool{"stream": true, "display_data": true, "update_display_data": true, "clear_output": true}

// publish sends a message on iopub.
func (k *Kernel) publish(parent json.RawMessage, msgType string, content any) {
	if frames := k.encodeIOPub(parent, msgType, content); frames != nil {
		k.socks.iopub.publish(parent, shedable[msgType], frames)
	}
}

// publishStatusPair sends status busy and status idle on iopub with no
// other message between them.
func (k *Kernel) publishStatusPair(parent json.RawMessage) {
	busy := k.encodeIOPub(parent, "status", statusContent{"busy"})
	idle := k.encodeIOPub(parent, "status", statusContent{"idle"})
	k.socks.iopub.publish(parent, false, busy, idle)
}

// shedNotice is the stream message iopub sends to a frontend in place of
// the n outputs it shed for it.
func (k *Kernel) shedNotice(parent json.RawMessage, n int) [][]byte {
	text := fmt.Sprintf("\n[fsc-kernel: %d outputs of this cell were not sent: the frontend did not keep up with them]\n", n)
	return k.encodeIOPub(parent, "stream", streamContent{Name: "stderr", Text: text})
}

// encodeIOPub encodes an iopub message; nil if it cannot be.
func (k *Kernel) encodeIOPub(parent json.RawMessage, msgType string, content any) [][]byte {
	body, err := json.Marshal(content)
	if err != nil {
		k.log.Error("cannot encode a message", "msg_type", msgType, "err", err)
		return nil
	}
	topic := [][]byte{[]byte("kernel." + k.session + "." + msgType)}
	m := &message{Identities: topic, Header: newHeader(k.session, msgType), Parent: parent, Content: body}
	frames, err := encode(m, k.signer)
	if err != nil {
		k.log.Error("cannot encode a message", "msg_type", msgType, "err", err)
		return nil
	}
	return frames
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
