package kernel

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Connection is what a Jupyter connection file tells a kernel: where to
// bind its five sockets and how to sign messages.
type Connection struct {
	Transport       string `json:"transport"` // "tcp" or "ipc"
	IP              string `json:"ip"`        // an address (tcp) or a path prefix (ipc)
	ShellPort       int    `json:"shell_port"`
	IOPubPort       int    `json:"iopub_port"`
	StdinPort       int    `json:"stdin_port"`
	ControlPort     int    `json:"control_port"`
	HBPort          int    `json:"hb_port"`
	Key             string `json:"key"`              // HMAC key; empty means messages are not signed
	SignatureScheme string `json:"signature_scheme"` // only "hmac-sha256"
	KernelName      string `json:"kernel_name,omitempty"`
}

// signatureScheme is the one scheme the kernel signs with.
const signatureScheme = "hmac-sha256"

// ReadConnection reads and checks a connection file. Errors name the file
// and the field that is wrong.
func ReadConnection(path string) (Connection, error) {
	var c Connection
	data, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("connection file: %w", err)
	}
	if err := json.Unmarshal(data, &c); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return c, fmt.Errorf("connection file %s: %s: expected a %s, got %s", path, te.Field, te.Type, te.Value)
		}
		return c, fmt.Errorf("connection file %s: not JSON: %w", path, err)
	}
	if err := c.check(true); err != nil {
		return c, fmt.Errorf("connection file %s: %w", path, err)
	}
	return c, nil
}

// check says what is wrong with c. Ports of 0 (tcp only) mean "any free
// port" unless fixed is set, as it is for a connection file, where the
// client needs to know the ports.
func (c *Connection) check(fixed bool) error {
	if c.Transport == "" {
		c.Transport = "tcp"
	}
	if c.SignatureScheme == "" {
		c.SignatureScheme = signatureScheme
	}
	switch c.Transport {
	case "tcp", "ipc":
	default:
		return fmt.Errorf("transport: %q is not supported (tcp or ipc)", c.Transport)
	}
	if c.IP == "" {
		return errors.New("ip: missing")
	}
	if c.SignatureScheme != signatureScheme {
		return fmt.Errorf("signature_scheme: %q is not supported (only %s)", c.SignatureScheme, signatureScheme)
	}
	for _, p := range c.ports() {
		switch {
		case *p.port < 0 || *p.port > 65535:
			return fmt.Errorf("%s: %d is not a port", p.name, *p.port)
		case *p.port == 0 && (fixed || c.Transport == "ipc"):
			return fmt.Errorf("%s: missing", p.name)
		}
	}
	return nil
}

// namedPort is one of the ports of a Connection.
type namedPort struct {
	name string
	port *int
}

func (c *Connection) ports() []namedPort {
	return []namedPort{{"shell_port", &c.ShellPort}, {"iopub_port", &c.IOPubPort}, {"stdin_port", &c.StdinPort},
		{"control_port", &c.ControlPort}, {"hb_port", &c.HBPort}}
}

// endpoint is the ZeroMQ address of a port: tcp://ip:port or ipc://ip-port.
func (c Connection) endpoint(port int) string {
	if c.Transport == "ipc" {
		return "ipc://" + c.IP + "-" + strconv.Itoa(port)
	}
	ip := c.IP
	if strings.Contains(ip, ":") && !strings.HasPrefix(ip, "[") {
		ip = "[" + ip + "]" // IPv6
	}
	return "tcp://" + ip + ":" + strconv.Itoa(port)
}
