// Package kernel is the Jupyter side of fsc-kernel: the Jupyter messaging
// protocol 5.3 (wire format, signing, the five sockets, dispatch, busy and
// idle, execution counts, history, interrupts) over pure-Go ZeroMQ, driving
// one script.Runtime, and the kernelspecs that make Jupyter start it.
//
// It knows nothing of secret sharing or of the language it runs: cells go
// to the Runtime as text, and what the Runtime shows comes back through a
// script.Output that publishes to the running cell. The ZeroMQ library is
// used in socket.go only.
package kernel
