package mpc

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"syscall"
)

// netError is a network failure in plain words; it unwraps to the error
// the network gave, for errors.Is and for logs.
type netError struct {
	words string
	err   error
}

func (e *netError) Error() string { return e.words }
func (e *netError) Unwrap() error { return e.err }

// PlainNetError says what a failed connection to a node means, in words an
// analyst or a hospital's IT can act on, instead of Go's ("dial tcp
// 127.0.0.1:15602: connect: connection refused"). Errors that are not
// network failures are returned as they are, without the method and URL
// net/http puts around them.
func PlainNetError(err error) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var (
		dns  *net.DNSError
		cert *tls.CertificateVerificationError
		unk  x509.UnknownAuthorityError
		host x509.HostnameError
		ne   net.Error
	)
	words := ""
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		words = "nothing listens there: is its fsc-node running?"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		words = "its address cannot be reached from here (no route)"
	case errors.As(err, &dns):
		words = "its host name does not resolve"
	case errors.As(err, &cert), errors.As(err, &unk), errors.As(err, &host):
		words = "its certificate is not the one pinned in the federation file"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		words = "it did not answer in time"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		words = "it closed the connection"
	default:
		return err
	}
	return &netError{words: words, err: err}
}
