package mpc

import (
	"context"
	"fmt"
	"sync"
)

// LocalNetwork is a Transport that delivers messages between hubs in one
// process. Tests run every party of a protocol this way; Disconnect makes a
// party unreachable, as a party that died.
type LocalNetwork struct {
	mu   sync.RWMutex
	hubs map[string]*Hub
	// Tap, when set, sees every message before it is delivered.
	Tap func(m *Message)
}

// NewLocalNetwork returns a network with one hub for each party.
func NewLocalNetwork(parties ...string) *LocalNetwork {
	n := &LocalNetwork{hubs: map[string]*Hub{}}
	for _, p := range parties {
		n.hubs[p] = NewHub(p)
	}
	return n
}

// Hub returns the hub of a party.
func (n *LocalNetwork) Hub(party string) *Hub {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.hubs[party]
}

// Disconnect makes a party unreachable from now on.
func (n *LocalNetwork) Disconnect(party string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.hubs, party)
}

// Send delivers a copy of m to its receiver's hub.
func (n *LocalNetwork) Send(ctx context.Context, m *Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n.mu.RLock()
	h := n.hubs[m.To]
	tap := n.Tap
	n.mu.RUnlock()
	if h == nil {
		return fmt.Errorf("party %s is unreachable", m.To)
	}
	if tap != nil {
		tap(m)
	}
	c := *m
	c.Body = append([]byte(nil), m.Body...)
	return h.Deliver(&c)
}
