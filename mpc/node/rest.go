package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/fsc-kernel/fsc-kernel/mpc"
)

// MaxRequestBody is the largest request body the client API reads (32 MiB,
// about two million numbers).
const MaxRequestBody = 32 << 20

// apiError is an error with the HTTP status it is answered with.
type apiError struct {
	Code int
	Msg  string
	// Detail is for the node's audit log only (a release rule's row
	// counts); the client never sees it.
	Detail string
}

func (e *apiError) Error() string { return e.Msg }

// Is makes a policy refusal (403) an mpc.ErrRefused, so that it travels as
// a refusal when it ends a session.
func (e *apiError) Is(target error) bool {
	return target == mpc.ErrRefused && e.Code == http.StatusForbidden
}

// errorf makes an apiError. It quotes at most maxQuote bytes of each
// string or error argument and keeps at most maxMessage bytes in all, so
// that hostile input (a megabyte column name) is not echoed back.
func errorf(code int, format string, args ...any) error {
	for i, a := range args {
		switch v := a.(type) {
		case string:
			args[i] = clip(v, maxQuote)
		case error:
			args[i] = clip(v.Error(), maxMessage)
		}
	}
	return &apiError{Code: code, Msg: clip(fmt.Sprintf(format, args...), maxMessage)}
}

const maxQuote, maxMessage = 256, 2048

// clip cuts s to at most n bytes (on a character boundary), saying how
// long it was.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("%s… (%d bytes)", prefix(s, n), len(s))
}

// prefix is s cut to at most n bytes, on a character boundary.
func prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// service is the one service this node offers, as FSC clients find it.
var service = map[string]any{"namespace": "federatedsecure", "protocol": "Simon", "version": "0.6.0", "implementation": "fsc-node"}

// callBody is the FSC request body: positional and named arguments.
type callBody struct {
	Args   []any
	Kwargs map[string]any
	size   int64 // bytes read
}

// decodeBody reads an FSC request body. A missing or empty body, and args
// given as [], {}, null or not at all, are all accepted.
func decodeBody(w http.ResponseWriter, r *http.Request) (callBody, error) {
	var out callBody
	data, err := mpc.ReadBody(w, r, MaxRequestBody)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return out, errorf(http.StatusRequestEntityTooLarge, "request body exceeds %d bytes", MaxRequestBody)
		}
		return out, errorf(http.StatusBadRequest, "read request body: %v", err)
	}
	body, err := parseBody(data)
	body.size = int64(len(data))
	return body, err
}

// parseBody decodes the bytes of an FSC request body: an object whose args
// and kwargs are read; any other key is ignored.
func parseBody(data []byte) (callBody, error) {
	var out callBody
	if len(bytes.TrimSpace(data)) == 0 {
		return out, nil
	}
	var raw any
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return out, errorf(http.StatusBadRequest, "malformed JSON body: %s", describeJSONError(data, err))
	}
	if dec.More() {
		return out, errorf(http.StatusBadRequest, "malformed JSON body: data after the first JSON value")
	}
	if raw == nil {
		return out, nil
	}
	top, ok := raw.(map[string]any)
	if !ok {
		return out, errorf(http.StatusBadRequest, "body: expected a JSON object with args and kwargs, got %s", jsonType(raw))
	}
	// Other keys are ignored, as the reference ignores them: the FSC R
	// client sends {"ignore": "R compatibility issues"} on GET and DELETE.
	switch a := top["args"].(type) {
	case nil:
	case []any:
		out.Args = a
	case map[string]any:
		if len(a) > 0 {
			return out, errorf(http.StatusBadRequest, "args: expected a list, got a non-empty object")
		}
	default:
		return out, errorf(http.StatusBadRequest, "args: expected a list, got %s", jsonType(a))
	}
	switch k := top["kwargs"].(type) {
	case nil:
	case map[string]any:
		out.Kwargs = k
	default:
		return out, errorf(http.StatusBadRequest, "kwargs: expected an object, got %s", jsonType(k))
	}
	return out, nil
}

// describeJSONError says where a JSON body is malformed, and names NaN and
// Infinity, which some encoders write but JSON does not allow.
func describeJSONError(data []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		at := data[min(int(se.Offset), len(data)):]
		if start := max(int(se.Offset)-1, 0); start < len(data) {
			at = data[start:]
		}
		for _, w := range []string{"NaN", "Infinity", "-Infinity"} {
			if bytes.HasPrefix(at, []byte(w)) {
				return fmt.Sprintf("byte %d: %s is not a JSON number; send finite numbers only", se.Offset, w)
			}
		}
		return fmt.Sprintf("byte %d: %v", se.Offset, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "the body ends in the middle of a value"
	}
	return err.Error()
}

// jsonType names the JSON type of a decoded value.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64, json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers with the FSC error body {"code":N,"message":"..."}.
func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{Code: http.StatusInternalServerError, Msg: clip(err.Error(), maxMessage)}
	}
	writeJSON(w, ae.Code, map[string]any{"code": ae.Code, "message": ae.Msg})
}

// cors puts the CORS headers on every answer and answers OPTIONS. It runs
// behind allowOrigins, so an Origin that reaches it is an allowed one: that
// origin is echoed (and may reach this node on a private network); a
// request without Origin, which is no browser's CORS request, gets *.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if origin := r.Header.Get("Origin"); origin != "" {
			h.Set("Access-Control-Allow-Origin", origin)
			if r.Header.Get("Access-Control-Request-Private-Network") == "true" {
				h.Set("Access-Control-Allow-Private-Network", "true")
			}
		} else {
			h.Set("Access-Control-Allow-Origin", "*")
		}
		h.Set("Access-Control-Allow-Methods", "GET,PUT,POST,PATCH,DELETE")
		h.Set("Access-Control-Allow-Headers", "Content-Type,Authorization")
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// clientRoutes returns the client API: the FSC REST API plus /healthz,
// /info, /computations/{id} (progress.go) and the owner's endpoints under
// /owner/ (owner.go). Web pages reach it only from the origins in [policy] origins.
func (n *Node) clientRoutes() http.Handler {
	r := mux.NewRouter()
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errorf(http.StatusNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errorf(http.StatusMethodNotAllowed, "%s is not allowed on %s", r.Method, r.URL.Path))
	})
	r.HandleFunc("/healthz", n.handleHealth).Methods(http.MethodGet)
	r.HandleFunc("/info", n.handleInfo).Methods(http.MethodGet)
	r.HandleFunc("/representations", n.handleList).Methods(http.MethodGet)
	r.HandleFunc("/representations", n.handleCreate).Methods(http.MethodPost)
	r.HandleFunc("/representations", n.handleUpload).Methods(http.MethodPut)
	r.HandleFunc("/representation/{uuid}", n.handleDownload).Methods(http.MethodGet)
	r.HandleFunc("/representation/{uuid}", n.handleCall).Methods(http.MethodPatch)
	r.HandleFunc("/representation/{uuid}", n.handleRelease).Methods(http.MethodDelete)
	r.HandleFunc("/representation/{uuid}/{name}", n.handleAttribute).Methods(http.MethodGet)
	r.HandleFunc("/computations/{id}", n.handleStatus).Methods(http.MethodGet)
	api := n.allowOrigins(cors(n.authenticateClient(r)))
	owner := n.ownerRoutes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/owner/") {
			owner.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

func (n *Node) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "name": n.self, "version": Version})
}

func (n *Node) handleList(w http.ResponseWriter, r *http.Request) {
	if _, err := decodeBody(w, r); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"type": "list", "list": []any{service}})
}

// matches reports whether the service description holds every
// requirement; the protocol name is compared ignoring case.
func matches(desc map[string]any, req map[string]any) bool {
	for k, want := range req {
		have, ok := desc[k]
		if !ok {
			return false
		}
		hs, hok := have.(string)
		ws, wok := want.(string)
		if hok && wok && k == "protocol" {
			if !strings.EqualFold(hs, ws) {
				return false
			}
			continue
		}
		if fmt.Sprint(have) != fmt.Sprint(want) {
			return false
		}
	}
	return true
}

func (n *Node) handleCreate(w http.ResponseWriter, r *http.Request) {
	body, err := decodeBody(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	if !matches(service, body.Kwargs) {
		writeError(w, errorf(http.StatusNotFound, "no service matches %s; this node offers one service: %s", describeFields(body.Kwargs, "protocol"), describeFields(service, "protocol")))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"type": "uuid", "uuid": n.serviceID})
}

func (n *Node) handleUpload(w http.ResponseWriter, r *http.Request) {
	body, err := decodeBody(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	if len(body.Args) != 1 {
		writeError(w, errorf(http.StatusBadRequest, "args: upload takes exactly one object, got %d", len(body.Args)))
		return
	}
	id, err := n.store.put(&object{kind: kindUpload, value: body.Args[0], owner: requesterOf(r), size: body.size}, false)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"type": "uuid", "uuid": id})
}

func (n *Node) lookup(id string) (*object, error) {
	o, ok := n.store.get(id)
	if !ok {
		return nil, errorf(http.StatusNotFound, "unknown uuid %s (never issued, already downloaded, released or expired)", bounded(id))
	}
	return o, nil
}

func (n *Node) handleAttribute(w http.ResponseWriter, r *http.Request) {
	if _, err := decodeBody(w, r); err != nil {
		writeError(w, err)
		return
	}
	v := mux.Vars(r)
	o, err := n.lookup(v["uuid"])
	if err != nil {
		writeError(w, err)
		return
	}
	if o.kind != kindService || v["name"] != "compute" {
		writeError(w, errorf(http.StatusNotFound, "the %s has no reachable member %q (reachable: compute on the service)", o.kind, v["name"]))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"type": "uuid", "uuid": n.computeID})
}

func (n *Node) handleDownload(w http.ResponseWriter, r *http.Request) {
	if _, err := decodeBody(w, r); err != nil {
		writeError(w, err)
		return
	}
	id := mux.Vars(r)["uuid"]
	o, err := n.lookup(id)
	if err != nil {
		writeError(w, err)
		return
	}
	var value any
	switch o.kind {
	case kindService:
		value = service
	case kindMember:
		value = map[string]any{"member": o.name, "of": service}
	default:
		value = o.value
		n.store.downloaded(id) // a result or upload is downloaded once
	}
	writeJSON(w, http.StatusOK, map[string]any{"type": "object", "object": value})
}

// handleRelease frees a result or upload. Releasing one already freed by
// its download is no error (the FSC Python client downloads, then
// releases); the permanent service and member handles stay.
func (n *Node) handleRelease(w http.ResponseWriter, r *http.Request) {
	if _, err := decodeBody(w, r); err != nil {
		writeError(w, err)
		return
	}
	id := mux.Vars(r)["uuid"]
	if !n.store.release(id) && !n.store.forgetDownloaded(id) {
		writeError(w, errorf(http.StatusNotFound, "unknown uuid %s (never issued, already released, or expired)", bounded(id)))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"type": "none"})
}

func (n *Node) handleCall(w http.ResponseWriter, r *http.Request) {
	body, err := decodeBody(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	o, err := n.lookup(mux.Vars(r)["uuid"])
	if err != nil {
		writeError(w, err)
		return
	}
	if o.kind != kindMember {
		writeError(w, errorf(http.StatusBadRequest, "a %s cannot be called; call the service's member compute", o.kind))
		return
	}
	if len(body.Args) > 0 {
		writeError(w, errorf(http.StatusBadRequest, "args: compute takes named arguments only (microprotocol, data, network, dataset, parameters)"))
		return
	}
	req, err := n.parseCompute(body.Kwargs)
	if err != nil {
		n.refuseMalformed(body.Kwargs, err) // the other parties of its network stop waiting
		writeError(w, err)
		return
	}
	req.Requester = requesterOf(r) // web pages of origins not allowed never get here (allowOrigins)
	if err := n.store.room(req.Requester); err != nil {
		n.refuseMalformed(body.Kwargs, err) // before the computation: its result could not be kept
		writeError(w, err)
		return
	}
	if req.progress, err = n.progress.follow(r.Header.Get(ComputationHeader), req.Requester); err != nil {
		n.refuseMalformed(body.Kwargs, err)
		writeError(w, err)
		return
	}
	defer n.progress.end(req.progress)
	result, err := n.compute(r.Context(), req)
	if err != nil {
		writeError(w, err)
		return
	}
	id, err := n.store.put(&object{kind: kindResult, value: result, owner: req.Requester}, false)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"type": "uuid", "uuid": id})
}
