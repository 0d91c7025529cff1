package kernel

// interrupt answers interrupt_request: the running cell, if any, stops
// with KeyboardInterrupt.
func (k *Kernel) interrupt(r *request) {
	k.interruptReceived(r.received)
	k.reply(r, "interrupt_reply", map[string]string{"status": "ok"})
}

// shutdownRequest answers shutdown_request, on control or shell, then
// stops the kernel: the reply goes to the requester and, as a broadcast,
// to iopub.
func (k *Kernel) shutdownRequest(r *request) {
	var q struct {
		Restart bool `json:"restart"`
	}
	if !k.parse(r, &q) {
		return
	}
	content := map[string]any{"status": "ok", "restart": q.Restart}
	k.reply(r, "shutdown_reply", content)
	k.publish(r.rawHeader, "shutdown_reply", content)
	k.shutdown()
	k.Interrupt()
}
