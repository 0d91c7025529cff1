// Package client is the Go client of the FSC REST API that fsc-node serves:
// the calls an FSC client makes (create, attribute, call, download), typed.
// The analyst runtime uses it to talk to its own node. It is not a node and
// knows nothing of secret sharing.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Client talks to one node's client API.
type Client struct {
	URL   string       // base URL of the node, e.g. http://127.0.0.1:15501
	Token string       // bearer token, needed by non-loopback clients
	HTTP  *http.Client // defaults to a client without an overall timeout

	mu        sync.Mutex
	computeID string // the node's compute member, found once
}

// New returns a client of the node at url.
func New(url string) *Client {
	if !strings.Contains(url, "://") {
		url = "http://" + url // "127.0.0.1:15501" means the node there
	}
	return &Client{URL: strings.TrimRight(url, "/"), HTTP: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: 90 * time.Second}}}
}

// UnreachableError is a node that did not answer at all: nothing listens
// at its URL, or the connection failed.
type UnreachableError struct {
	URL string
	Err error // the network's own error, for logs
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("your node at %s is not answering: is fsc-node running there? (the URL comes from FSC_NODE or --node)", e.URL)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Error is an error answer of the node: its HTTP status and message.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Message }

// Refused reports whether a node's policy refused the computation.
func (e *Error) Refused() bool { return e.Status == http.StatusForbidden }

// PeerFailed reports whether a party failed or timed out.
func (e *Error) PeerFailed() bool { return e.Status == http.StatusBadGateway }

// Network is an FSC network: every party's node URL, a uuid the parties
// share, and this party's index.
type Network struct {
	Nodes  []string `json:"nodes"`
	UUID   string   `json:"uuid"`
	Myself int      `json:"myself"`
}

// Dataset names node-held data: a table, its column(s) and a row filter.
type Dataset struct {
	Table   string   `json:"table"`
	Column  string   `json:"column,omitempty"`
	Columns []string `json:"columns,omitempty"`
	Where   string   `json:"where,omitempty"`
}

// Request is one compute call: a microprotocol over either this party's own
// data (with a network) or node-held data (a dataset).
type Request struct {
	Microprotocol string
	Data          any
	Network       *Network
	Dataset       *Dataset
	Parameters    map[string]any
	// ID, when set, names the computation so that Status can follow it
	// while it runs (NewComputationID makes one). FSC clients do not send
	// it; the node computes the same either way.
	ID string
}

// Result is a computation's answer: how many parties gave input, and the
// microprotocol's result keys.
type Result struct {
	Inputs int            `json:"inputs"`
	Result map[string]any `json:"result"`
}

// computationHeader carries Request.ID.
const computationHeader = "Fsc-Computation"

// do sends one FSC call and decodes the answer's envelope.
func (c *Client) do(ctx context.Context, method, path string, body any) (map[string]any, error) {
	return c.doWith(ctx, method, path, body, nil)
}

// doWith is do with extra request headers.
func (c *Client) doWith(ctx context.Context, method, path string, body any, header http.Header) (map[string]any, error) {
	if body == nil {
		body = map[string]any{}
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("the node URL %q is not a URL such as http://127.0.0.1:15501", c.URL)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, &UnreachableError{URL: c.URL, Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("node %s: read answer: %w", c.URL, err)
	}
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("node %s: %s %s answered %d with non-JSON: %.200s", c.URL, method, path, resp.StatusCode, raw)
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := out["message"].(string)
		if msg == "" {
			msg = fmt.Sprintf("%s %s: HTTP %d", method, path, resp.StatusCode)
		}
		return nil, &Error{Status: resp.StatusCode, Message: msg}
	}
	return out, nil
}

func uuidOf(out map[string]any) (string, error) {
	if out["type"] != "uuid" {
		return "", fmt.Errorf("expected a uuid answer, got type %v", out["type"])
	}
	s, _ := out["uuid"].(string)
	if s == "" {
		return "", errors.New("answer has no uuid")
	}
	return s, nil
}

// Create asks for the first service holding every requirement (POST
// /representations) and returns its uuid.
func (c *Client) Create(ctx context.Context, requirements map[string]any) (string, error) {
	out, err := c.do(ctx, http.MethodPost, "/representations", map[string]any{"args": []any{}, "kwargs": requirements})
	if err != nil {
		return "", err
	}
	return uuidOf(out)
}

// Attribute returns the uuid of a member of an object (GET
// /representation/{uuid}/{name}).
func (c *Client) Attribute(ctx context.Context, uuid, name string) (string, error) {
	out, err := c.do(ctx, http.MethodGet, "/representation/"+uuid+"/"+name, nil)
	if err != nil {
		return "", err
	}
	return uuidOf(out)
}

// Call calls an object with named arguments (PATCH /representation/{uuid})
// and returns the uuid of the answer.
func (c *Client) Call(ctx context.Context, uuid string, kwargs map[string]any) (string, error) {
	return c.call(ctx, uuid, kwargs, "")
}

func (c *Client) call(ctx context.Context, uuid string, kwargs map[string]any, id string) (string, error) {
	var header http.Header
	if id != "" {
		header = http.Header{computationHeader: {id}}
	}
	out, err := c.doWith(ctx, http.MethodPatch, "/representation/"+uuid, map[string]any{"args": []any{}, "kwargs": kwargs}, header)
	if err != nil {
		return "", err
	}
	return uuidOf(out)
}

// Download fetches an object (GET /representation/{uuid}) into v.
func (c *Client) Download(ctx context.Context, uuid string, v any) error {
	out, err := c.do(ctx, http.MethodGet, "/representation/"+uuid, nil)
	if err != nil {
		return err
	}
	if out["type"] != "object" {
		return fmt.Errorf("expected an object answer, got type %v", out["type"])
	}
	data, err := json.Marshal(out["object"])
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// compute returns the uuid of the node's compute member, found once with
// the FSC sequence create (protocol Simon) then attribute compute.
func (c *Client) compute(ctx context.Context, fresh bool) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.computeID != "" && !fresh {
		return c.computeID, nil
	}
	svc, err := c.Create(ctx, map[string]any{"protocol": "Simon"})
	if err != nil {
		return "", err
	}
	id, err := c.Attribute(ctx, svc, "compute")
	if err != nil {
		return "", err
	}
	c.computeID = id
	return id, nil
}

// Compute runs one computation and downloads its answer. It blocks until
// the parties are done; cancelling ctx aborts the computation at every node.
func (c *Client) Compute(ctx context.Context, r Request) (*Result, error) {
	kw := map[string]any{"microprotocol": r.Microprotocol}
	if r.Data != nil {
		kw["data"] = r.Data
	}
	if r.Network != nil {
		kw["network"] = r.Network
	}
	if r.Dataset != nil {
		kw["dataset"] = r.Dataset
	}
	if r.Parameters != nil {
		kw["parameters"] = r.Parameters
	}
	fn, err := c.compute(ctx, false)
	if err != nil {
		return nil, err
	}
	id, err := c.call(ctx, fn, kw, r.ID)
	var ae *Error
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound && strings.Contains(ae.Message, fn) {
		// the node restarted: find its compute member again
		if fn, err = c.compute(ctx, true); err == nil {
			id, err = c.call(ctx, fn, kw, r.ID)
		}
	}
	if err != nil {
		return nil, err
	}
	var res Result
	if err := c.Download(ctx, id, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// NewComputationID returns a fresh random id for Request.ID.
func NewComputationID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// Status is how a running computation stands at the analyst's node.
type Status struct {
	ID string `json:"id"`
	// Phase is "asking" (the members are asked to take part; on a
	// client-supplied network, the call waits for the other parties to
	// make it) or "computing".
	Phase string `json:"phase"`
	// Approval lists the members whose owner has yet to approve the query.
	Approval []string `json:"approval"`
	// WaitingFor lists the members (or network parties) the node has
	// waited on for a while.
	WaitingFor []string `json:"waiting_for"`
}

// Status asks the node how the computation named id (Request.ID) stands
// while it runs (GET /computations/{id}). Only the analyst who started it
// gets an answer; an unknown or ended computation is a 404 Error.
func (c *Client) Status(ctx context.Context, id string) (*Status, error) {
	out, err := c.do(ctx, http.MethodGet, "/computations/"+url.PathEscape(id), nil)
	if err != nil {
		return nil, err
	}
	data, _ := json.Marshal(out)
	var s Status
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("node %s: /computations: %w", c.URL, err)
	}
	return &s, nil
}

// Info describes the node: its name, version, federation members, datasets
// (names and column kinds, never values) and policy.
type Info struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Mode    string `json:"mode"`
	Members []struct {
		Name string `json:"name"`
		API  string `json:"api"`
	} `json:"members"`
	Datasets map[string]struct {
		Columns []struct {
			Name string `json:"name"`
			Kind string `json:"kind"`
		} `json:"columns"`
	} `json:"datasets"`
	Policy         map[string]any `json:"policy"`
	Microprotocols []string       `json:"microprotocols"`
}

// Info fetches the node's description (GET /info).
func (c *Client) Info(ctx context.Context) (*Info, error) {
	out, err := c.do(ctx, http.MethodGet, "/info", nil)
	if err != nil {
		return nil, err
	}
	data, _ := json.Marshal(out)
	var info Info
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, fmt.Errorf("node %s: /info: %w", c.URL, err)
	}
	return &info, nil
}

// Health checks that the node answers (GET /healthz).
func (c *Client) Health(ctx context.Context) error {
	_, err := c.do(ctx, http.MethodGet, "/healthz", nil)
	return err
}
