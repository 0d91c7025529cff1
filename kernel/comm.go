package kernel

import "encoding/json"

// The kernel has no comm targets: it lists no comms, closes every comm a
// client opens, and ignores comm_msg and comm_close.

// commInfo answers comm_info_request.
func (k *Kernel) commInfo(r *request) {
	k.reply(r, "comm_info_reply", map[string]any{"status": "ok", "comms": map[string]any{}})
}

// commOpen closes the comm a client opened: no target exists.
func (k *Kernel) commOpen(r *request) {
	var q struct {
		CommID     string `json:"comm_id"`
		TargetName string `json:"target_name"`
	}
	if err := json.Unmarshal(r.Content, &q); err != nil {
		k.log.Warn("bad comm_open", "err", err)
		return
	}
	k.log.Info("closed a comm: no such target", "target_name", q.TargetName)
	k.publish(r.rawHeader, "comm_close", map[string]any{"comm_id": q.CommID, "data": map[string]any{}})
}
